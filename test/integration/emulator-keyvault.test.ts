/**
 * The emulated Key Vault through the real `@azure/keyvault-secrets` SecretClient (challenge auth, TLS trusted
 * per client, paging, update, disabled → 403, soft delete) and Key Vault's limits and error shapes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RestError } from '@azure/core-rest-pipeline';
import type { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import { emulatorRequest, emulatorSecretClient } from '../../local/emulator/testing.js';

let emulator: RunningEmulator;
let client: SecretClient;
let stateDir: string;
const auth = { Authorization: 'Bearer local' };

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'kv-emulator-'));
  emulator = await startEmulator({ vaults: ['kv-main', 'kv-other'], stateDir });
  client = emulatorSecretClient(emulator.vaults[0]!.url, emulator.caCert, {
    retryOptions: { maxRetries: 0 },
  });
});

afterAll(async () => {
  await emulator?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function rejection(work: Promise<unknown>): Promise<RestError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RestError);
  return error as RestError;
}

describe('emulator endpoints and TLS', () => {
  it('gives each vault its own origin and writes the CA to the state dir', () => {
    const [main, other] = emulator.vaults;
    expect(main?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(other?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(main?.url).not.toBe(other?.url);
    expect(emulator.caCertFile).toBe(path.join(stateDir, 'emulator-ca.pem'));
    expect(readFileSync(emulator.caCertFile, 'utf8')).toBe(emulator.caCert);
    expect(emulator.caCert).toContain('BEGIN CERTIFICATE');
  });

  it('is not trusted without the CA (trust is per client)', async () => {
    const error = await emulatorRequest(`${emulator.vaults[0]!.url}/secrets?api-version=7.6`, '').then(
      () => undefined,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    expect(error?.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  });

  it('answers a request without a token with the Key Vault challenge', async () => {
    const response = await emulatorRequest(
      `${emulator.vaults[0]!.url}/secrets/x?api-version=7.6`,
      emulator.caCert,
      {
        method: 'PUT',
      },
    );
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer authorization="https://login.windows.net/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"',
    );
    expect(response.json()).toEqual({
      error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
    });
  });
});

describe('SecretClient against the emulator', () => {
  it('sets, gets latest, gets by version, with 32-hex versions and second timestamps', async () => {
    const first = await client.setSecret('Api-Key', 'first-value', {
      contentType: 'text/plain',
      tags: { Owner: 'team-a' },
    });
    const second = await client.setSecret('api-key', 'second-value', {
      expiresOn: new Date('2031-01-01T00:00:00Z'),
    });
    expect(first.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(second.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(second.properties.version).not.toBe(first.properties.version);
    // Names are case-insensitive; the first spelling is kept.
    expect(second.name).toBe('Api-Key');
    expect((first.properties.createdOn?.getTime() ?? 1) % 1000).toBe(0);
    expect(second.properties.expiresOn?.toISOString()).toBe('2031-01-01T00:00:00.000Z');

    const latest = await client.getSecret('API-KEY');
    expect(latest.value).toBe('second-value');
    expect(latest.properties.version).toBe(second.properties.version);
    expect(latest.properties.recoveryLevel).toBe('CustomizedRecoverable+Purgeable');
    expect(latest.properties.recoverableDays).toBe(7);
    const old = await client.getSecret('api-key', { version: first.properties.version! });
    expect(old.value).toBe('first-value');
    expect(old.properties.contentType).toBe('text/plain');
    expect(old.properties.tags).toEqual({ Owner: 'team-a' });
  });

  it('lists secrets and versions past one page (30 each)', async () => {
    for (let i = 0; i < 30; i++) await client.setSecret(`bulk-${String(i).padStart(2, '0')}`, `v${i}`);
    for (let i = 0; i < 30; i++) await client.setSecret('many-versions', `value-${i}`);

    const names: string[] = [];
    for await (const props of client.listPropertiesOfSecrets()) names.push(props.name);
    expect(names.filter((n) => n.startsWith('bulk-'))).toHaveLength(30);
    expect(new Set(names).size).toBe(names.length);

    const versions: string[] = [];
    for await (const props of client.listPropertiesOfSecretVersions('many-versions'))
      versions.push(props.version!);
    expect(versions).toHaveLength(30);
    expect(new Set(versions).size).toBe(30);
    expect([...versions].sort()).toEqual(versions);

    const pageSizes: number[] = [];
    for await (const page of client.listPropertiesOfSecretVersions('many-versions').byPage()) {
      pageSizes.push(page.length);
    }
    expect(pageSizes).toEqual([25, 5]);
  });

  it('pages with maxresults and an absolute nextLink, null on the last page', async () => {
    const base = emulator.vaults[0]!.url;
    const first = await emulatorRequest(
      `${base}/secrets/many-versions/versions?api-version=7.6&maxresults=10`,
      emulator.caCert,
      {
        headers: auth,
      },
    );
    const page = first.json() as { value: unknown[]; nextLink: string | null };
    expect(page.value).toHaveLength(10);
    expect(page.nextLink).toMatch(
      new RegExp(
        `^${base}/secrets/many-versions/versions\\?api-version=7\\.6&\\$skiptoken=[^&]+&maxresults=10$`,
      ),
    );
    let next = page.nextLink;
    let count = 10;
    while (next) {
      const more = (await emulatorRequest(next, emulator.caCert, { headers: auth })).json() as typeof page;
      count += more.value.length;
      next = more.nextLink;
      if (!next) expect(more).toHaveProperty('nextLink', null);
    }
    expect(count).toBe(30);
    const tooMany = await emulatorRequest(`${base}/secrets?api-version=7.6&maxresults=26`, emulator.caCert, {
      headers: auth,
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json()).toMatchObject({ error: { code: 'BadParameter' } });
  });

  it('returns an empty first page for versions of a missing secret', async () => {
    const versions: unknown[] = [];
    for await (const v of client.listPropertiesOfSecretVersions('never-written')) versions.push(v);
    expect(versions).toEqual([]);
  });

  it('updates properties of a version, and a disabled version answers 403 to get', async () => {
    const created = await client.setSecret('to-disable', 'sensitive-value');
    const updated = await client.updateSecretProperties('to-disable', created.properties.version!, {
      enabled: false,
      tags: { Reason: 'test' },
      contentType: 'application/json',
    });
    expect(updated.enabled).toBe(false);
    expect(updated.tags).toEqual({ Reason: 'test' });
    expect(updated.contentType).toBe('application/json');

    const error = await rejection(client.getSecret('to-disable'));
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe('Forbidden');
    expect(error.message).toBe('Operation get is not allowed on a disabled secret.');
    expect(error.message).not.toContain('sensitive-value');

    // Properties stay listable; re-enabling makes the value readable again.
    const listed: boolean[] = [];
    for await (const props of client.listPropertiesOfSecretVersions('to-disable'))
      listed.push(props.enabled!);
    expect(listed).toEqual([false]);
    await client.updateSecretProperties('to-disable', created.properties.version!, { enabled: true });
    expect((await client.getSecret('to-disable')).value).toBe('sensitive-value');
  });

  it('PATCH on the trailing-slash path updates the latest version', async () => {
    await client.setSecret('patch-latest', 'a');
    const latest = await client.setSecret('patch-latest', 'b');
    const response = await emulatorRequest(
      `${emulator.vaults[0]!.url}/secrets/patch-latest/?api-version=7.3`,
      emulator.caCert,
      {
        method: 'PATCH',
        headers: auth,
        body: { tags: { t: '1' } },
      },
    );
    expect(response.status).toBe(200);
    const body = response.json() as { id: string; tags: Record<string, string> };
    expect(body.id.endsWith(`/${latest.properties.version}`)).toBe(true);
    expect(body).not.toHaveProperty('value');
    expect(body.tags).toEqual({ t: '1' });
  });

  it('answers SecretNotFound 404 for a missing secret or version', async () => {
    const missing = await rejection(client.getSecret('does-not-exist'));
    expect(missing.statusCode).toBe(404);
    expect(missing.code).toBe('SecretNotFound');
    const badVersion = await rejection(client.getSecret('api-key', { version: '0'.repeat(32) }));
    expect(badVersion.statusCode).toBe(404);
    expect(badVersion.code).toBe('SecretNotFound');
  });

  it('deletes, lists deleted, recovers, deletes and purges', async () => {
    await client.setSecret('short-lived', 'x');
    const deleting = await client.beginDeleteSecret('short-lived', { intervalInMs: 10 });
    const deleted = await deleting.pollUntilDone();
    expect(deleted.recoveryId).toBe(`${emulator.vaults[0]!.url}/deletedsecrets/short-lived`);
    expect(deleted.scheduledPurgeDate!.getTime() - deleted.deletedOn!.getTime()).toBe(7 * 86_400_000);
    const names: string[] = [];
    for await (const d of client.listDeletedSecrets()) names.push(d.name);
    expect(names).toContain('short-lived');
    expect((await rejection(client.getSecret('short-lived'))).statusCode).toBe(404);

    const conflict = await rejection(client.setSecret('short-lived', 'y'));
    expect(conflict.statusCode).toBe(409);

    const recovering = await client.beginRecoverDeletedSecret('short-lived', { intervalInMs: 10 });
    await recovering.pollUntilDone();
    expect((await client.getSecret('short-lived')).value).toBe('x');

    await (await client.beginDeleteSecret('short-lived', { intervalInMs: 10 })).pollUntilDone();
    await client.purgeDeletedSecret('short-lived');
    expect((await rejection(client.getDeletedSecret('short-lived'))).statusCode).toBe(404);
    await client.setSecret('short-lived', 'reborn');
  });

  it('keeps vaults apart', async () => {
    const other = emulatorSecretClient(emulator.vaults[1]!.url, emulator.caCert, {
      retryOptions: { maxRetries: 0 },
    });
    expect((await rejection(other.getSecret('api-key'))).statusCode).toBe(404);
  });
});

describe('Key Vault limits', () => {
  it('rejects invalid names with BadParameter', async () => {
    const response = await emulatorRequest(
      `${emulator.vaults[0]!.url}/secrets/bad_name?api-version=7.6`,
      emulator.caCert,
      {
        method: 'PUT',
        headers: auth,
        body: { value: 'x' },
      },
    );
    expect(response.status).toBe(400);
    expect(response.json()).toEqual({
      error: { code: 'BadParameter', message: 'The request URI contains an invalid name: bad_name' },
    });
    const tooLong = await rejection(client.setSecret('a'.repeat(128), 'x'));
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.code).toBe('BadParameter');
  });

  it('accepts a 25 KB value and rejects one byte more', async () => {
    const max = 'v'.repeat(25 * 1024);
    const set = await client.setSecret('big-value', max);
    expect((await client.getSecret('big-value', { version: set.properties.version! })).value).toHaveLength(
      25_600,
    );
    const error = await rejection(client.setSecret('big-value', `${max}v`));
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('BadParameter');
    expect(error.message).not.toContain('vvvv');
  });

  it('accepts 15 tags and rejects 16 (on set and on update)', async () => {
    const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`tag${i}`, `v${i}`]));
    const set = await client.setSecret('tagged', 'x', { tags: tags(15) });
    expect(Object.keys(set.properties.tags ?? {})).toHaveLength(15);
    const onSet = await rejection(client.setSecret('tagged', 'x', { tags: tags(16) }));
    expect(onSet.statusCode).toBe(400);
    expect(onSet.code).toBe('BadParameter');
    const onUpdate = await rejection(
      client.updateSecretProperties('tagged', set.properties.version!, { tags: tags(16) }),
    );
    expect(onUpdate.statusCode).toBe(400);
    const versions: string[] = [];
    for await (const v of client.listPropertiesOfSecretVersions('tagged')) versions.push(v.version!);
    expect(versions).toEqual([set.properties.version]);
  });

  it('rejects a malformed body and a missing api-version', async () => {
    const url = `${emulator.vaults[0]!.url}/secrets/shape`;
    const badJson = await emulatorRequest(`${url}?api-version=7.6`, emulator.caCert, {
      method: 'PUT',
      headers: auth,
      body: '{not json',
    });
    expect(badJson.status).toBe(400);
    expect(badJson.json()).toMatchObject({ error: { code: 'BadParameter' } });
    const noValue = await emulatorRequest(`${url}?api-version=7.6`, emulator.caCert, {
      method: 'PUT',
      headers: auth,
      body: { contentType: 'x' },
    });
    expect(noValue.status).toBe(400);
    const noVersion = await emulatorRequest(url, emulator.caCert, {
      method: 'PUT',
      headers: auth,
      body: { value: 'x' },
    });
    expect(noVersion.status).toBe(400);
  });

  it('tolerates any api-version', async () => {
    const response = await emulatorRequest(
      `${emulator.vaults[0]!.url}/secrets?api-version=2099-01-01`,
      emulator.caCert,
      {
        headers: auth,
      },
    );
    expect(response.status).toBe(200);
  });
});
