/**
 * The emulator's control API over HTTPS and in process: vaults, clock, fault injection on vault and ARM
 * routes, the request log (redacted, control calls left out), state snapshots, body limit, and a clean stop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AzureKeyCredential } from '@azure/core-auth';
import { RestError } from '@azure/core-rest-pipeline';
import { EventGridPublisherClient } from '@azure/eventgrid';
import type { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_ALIVE_TIMEOUT_MS } from '../../local/emulator/core/server.js';
import { type RequestLogEntry, type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import { emulatorRequest, emulatorSecretClient } from '../../local/emulator/testing.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const START = new Date('2030-06-01T00:00:00Z');
let emulator: RunningEmulator;
let client: SecretClient;
let stateDir: string;
let vaultUrl: string;
const auth = { Authorization: 'Bearer local' };
const control = (p: string) => `${emulator.origin}/_emulator${p}`;
const accountUrl = () =>
  `${emulator.origin}/subscriptions/${SUB}/resourceGroups/rg-ctl/providers/Microsoft.CognitiveServices/accounts/ctl-openai?api-version=2025-09-01`;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'kv-control-'));
  emulator = await startEmulator({
    vaults: ['ctl-vault'],
    stateDir,
    startTime: START,
    resources: [
      { type: 'Microsoft.CognitiveServices/accounts', resourceGroup: 'rg-ctl', name: 'ctl-openai' },
    ],
  });
  vaultUrl = emulator.vaults[0]!.url;
  client = emulatorSecretClient(vaultUrl, emulator.caCert, { retryOptions: { maxRetries: 0 } });
});

afterAll(async () => {
  await emulator?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

afterEach(() => emulator.control.clearFaults());

describe('control API basics', () => {
  it('describes the emulator', async () => {
    const response = await emulatorRequest(control(''), emulator.caCert);
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({
      origin: emulator.origin,
      armEndpoint: emulator.origin,
      caCertFile: emulator.caCertFile,
      vaults: [{ name: 'ctl-vault', url: vaultUrl }],
    });
  });

  it('keeps idle connections open for minutes, as Azure does, and says so to keep-alive clients', async () => {
    const agent = new https.Agent({ keepAlive: true, ca: emulator.caCert });
    try {
      const hint = await new Promise<string | string[] | undefined>((resolve, reject) => {
        https
          .get(control(''), { agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.headers['keep-alive']));
          })
          .on('error', reject);
      });
      expect(hint).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
      expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThanOrEqual(60_000);
    } finally {
      agent.destroy();
    }
  });

  it('reads and advances the clock', async () => {
    const before = (await emulatorRequest(control('/clock'), emulator.caCert)).json() as {
      epochSeconds: number;
    };
    expect(before.epochSeconds).toBeGreaterThanOrEqual(START.getTime() / 1000);
    expect(before.epochSeconds).toBeLessThan(START.getTime() / 1000 + 600);
    const advanced = await emulatorRequest(control('/clock/advance'), emulator.caCert, {
      method: 'POST',
      body: { days: 2, hours: 1 },
    });
    expect(advanced.status).toBe(200);
    const after = advanced.json() as { now: string; epochSeconds: number };
    expect(after.epochSeconds - before.epochSeconds).toBeGreaterThanOrEqual(2 * 86_400 + 3600);
    expect(new Date(after.now).getTime()).toBeLessThanOrEqual(emulator.clock.now().getTime());
    const set = await client.setSecret('clocked', 'x');
    expect(set.properties.createdOn!.getTime()).toBeGreaterThanOrEqual(after.epochSeconds * 1000);

    for (const body of [{ days: -1 }, {}, { weeks: 1 }, { days: 'one' }]) {
      const bad = await emulatorRequest(control('/clock/advance'), emulator.caCert, { method: 'POST', body });
      expect(bad.status).toBe(400);
      expect(bad.json()).toMatchObject({ error: { code: 'BadRequest', details: expect.any(Array) } });
    }
  });

  it('adds a vault with its own origin', async () => {
    const response = await emulatorRequest(control('/vaults'), emulator.caCert, {
      method: 'POST',
      body: { name: 'added-vault' },
    });
    expect(response.status).toBe(201);
    const added = response.json() as { name: string; url: string };
    expect(added.url).not.toBe(vaultUrl);
    const other = emulatorSecretClient(added.url, emulator.caCert);
    await other.setSecret('in-added', 'x');
    expect((await other.getSecret('in-added')).value).toBe('x');
    expect(emulator.vaults.map((v) => v.name)).toEqual(['ctl-vault', 'added-vault']);

    const duplicate = await emulatorRequest(control('/vaults'), emulator.caCert, {
      method: 'POST',
      body: { name: 'Added-Vault' },
    });
    expect(duplicate.status).toBe(409);
    const invalid = await emulatorRequest(control('/vaults'), emulator.caCert, {
      method: 'POST',
      body: { name: '1-bad--name' },
    });
    expect(invalid.status).toBe(400);
  });

  it('answers 404 for unknown routes and 405 with Allow for a wrong method', async () => {
    expect((await emulatorRequest(control('/nothing-here'), emulator.caCert)).status).toBe(404);
    const wrong = await emulatorRequest(control('/state'), emulator.caCert, { method: 'PUT', body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET');
  });
});

describe('fault injection', () => {
  it('adds latency to the next matching call only', async () => {
    await client.setSecret('slow', 'x');
    emulator.control.addFault({
      origin: 'ctl-vault',
      method: 'GET',
      path: '/secrets/*/**',
      fault: { kind: 'latency', ms: 150 },
      times: 1,
    });
    let started = performance.now();
    await client.getSecret('slow');
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    started = performance.now();
    await client.getSecret('slow');
    expect(performance.now() - started).toBeLessThan(145);
    expect(emulator.control.faults()).toEqual([]);
  });

  it('answers 429 with Retry-After; the SDK waits and retries', async () => {
    await client.setSecret('throttled', 'x');
    emulator.control.addFault({
      path: '/secrets/throttled/**',
      fault: { kind: 'throttle', retryAfterMs: 20 },
      times: 1,
    });
    const raw = await emulatorRequest(`${vaultUrl}/secrets/throttled/?api-version=7.6`, emulator.caCert, {
      headers: auth,
    });
    expect(raw.status).toBe(429);
    expect(raw.headers['retry-after']).toBe('1');
    expect(raw.headers['retry-after-ms']).toBe('20');
    expect(raw.json()).toMatchObject({ error: { code: 'Throttled' } });

    emulator.control.addFault({
      path: '/secrets/throttled/**',
      fault: { kind: 'throttle', retryAfterMs: 20 },
      times: 1,
    });
    const retrying = emulatorSecretClient(vaultUrl, emulator.caCert, { retryOptions: { maxRetries: 2 } });
    const since = emulator.control.requests().at(-1)?.seq ?? 0;
    expect((await retrying.getSecret('throttled')).value).toBe('x');
    const statuses = emulator.control.requests({ since }).map((r) => r.status);
    expect(statuses).toContain(429);
    expect(statuses.at(-1)).toBe(200);
  });

  it('answers 500, 503 and 403 in the origin’s error shape', async () => {
    await client.setSecret('failing', 'x');
    for (const [fault, status, code] of [
      [{ kind: 'error', status: 500 }, 500, 'InternalServerError'],
      [{ kind: 'error', status: 503 }, 503, 'ServiceUnavailable'],
      [{ kind: 'forbidden' }, 403, 'Forbidden'],
    ] as const) {
      emulator.control.addFault({ origin: 'ctl-vault', path: '/secrets/failing/**', fault, times: 1 });
      const error = await client.getSecret('failing').then(
        () => undefined,
        (e: unknown) => e as RestError,
      );
      expect(error).toBeInstanceOf(RestError);
      expect(error?.statusCode).toBe(status);
      expect(error?.code).toBe(code);
    }
    expect((await client.getSecret('failing')).value).toBe('x');
  });

  it('applies to ARM routes by origin and leaves vaults alone', async () => {
    emulator.control.addFault({ origin: 'arm', fault: { kind: 'error', status: 503 } });
    const arm = await emulatorRequest(accountUrl(), emulator.caCert, { headers: auth });
    expect(arm.status).toBe(503);
    expect((await client.setSecret('unaffected', 'x')).value).toBe('x');
    emulator.control.clearFaults();
    expect((await emulatorRequest(accountUrl(), emulator.caCert, { headers: auth })).status).toBe(200);
  });

  it('resets the connection', async () => {
    emulator.control.addFault({ pathRegex: '^/secrets$', fault: { kind: 'reset' }, times: 1 });
    await expect(
      emulatorRequest(`${vaultUrl}/secrets?api-version=7.6`, emulator.caCert, { headers: auth }),
    ).rejects.toThrow(/socket hang up|ECONNRESET/);
    const last = emulator.control.requests({ origin: 'ctl-vault' }).at(-1);
    expect(last).toMatchObject({ status: null, fault: 'reset' });
  });

  it('holds a request until the client gives up, or drops it after ms', async () => {
    emulator.control.addFault({ path: '/secrets', fault: { kind: 'timeout' }, times: 1 });
    const started = performance.now();
    await expect(
      emulatorRequest(`${vaultUrl}/secrets?api-version=7.6`, emulator.caCert, {
        headers: auth,
        timeoutMs: 200,
      }),
    ).rejects.toThrow(/timed out/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);

    emulator.control.addFault({ path: '/secrets', fault: { kind: 'timeout', ms: 100 }, times: 1 });
    await expect(
      emulatorRequest(`${vaultUrl}/secrets?api-version=7.6`, emulator.caCert, {
        headers: auth,
        timeoutMs: 5000,
      }),
    ).rejects.toThrow(/socket hang up|ECONNRESET/);
    await expect
      .poll(() => emulator.control.requests({ origin: 'ctl-vault' }).filter((r) => r.fault === 'timeout'))
      .toHaveLength(2);
  });

  it('applies to a seeded fraction of calls, the same way every run', async () => {
    const pattern = async () => {
      emulator.control.addFault({
        path: '/secrets',
        fault: { kind: 'error', status: 500 },
        fraction: 0.5,
        seed: 42,
      });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        statuses.push(
          (await emulatorRequest(`${vaultUrl}/secrets?api-version=7.6`, emulator.caCert, { headers: auth }))
            .status,
        );
      }
      emulator.control.clearFaults();
      return statuses;
    };
    const first = await pattern();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await pattern()).toEqual(first);
  });

  it('is managed over HTTP: add, list, remove, clear; bad rules are refused', async () => {
    const added = await emulatorRequest(control('/faults'), emulator.caCert, {
      method: 'POST',
      body: { method: 'get', path: '/secrets/**', fault: { kind: 'forbidden' }, times: 3 },
    });
    expect(added.status).toBe(201);
    const rule = added.json() as { id: string; method: string };
    expect(rule.method).toBe('GET');
    const listed = (await emulatorRequest(control('/faults'), emulator.caCert)).json() as {
      value: { id: string }[];
    };
    expect(listed.value.map((r) => r.id)).toEqual([rule.id]);
    expect(
      (await emulatorRequest(control(`/faults/${rule.id}`), emulator.caCert, { method: 'DELETE' })).status,
    ).toBe(204);
    expect(
      (await emulatorRequest(control(`/faults/${rule.id}`), emulator.caCert, { method: 'DELETE' })).status,
    ).toBe(404);
    await emulatorRequest(control('/faults'), emulator.caCert, {
      method: 'POST',
      body: { fault: { kind: 'reset' } },
    });
    expect((await emulatorRequest(control('/faults'), emulator.caCert, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect(emulator.control.faults()).toEqual([]);

    for (const body of [
      { fault: { kind: 'explode' } },
      { fault: { kind: 'error', status: 418 } },
      { path: '/a', pathRegex: 'b', fault: { kind: 'reset' } },
      { pathRegex: '(', fault: { kind: 'reset' } },
      { fraction: 2, fault: { kind: 'reset' } },
    ]) {
      const bad = await emulatorRequest(control('/faults'), emulator.caCert, { method: 'POST', body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }
    // Control calls are never faulted.
    emulator.control.addFault({ fault: { kind: 'reset' } });
    expect((await emulatorRequest(control('/faults'), emulator.caCert)).status).toBe(200);
  });
});

describe('request log', () => {
  it('logs method, origin, path without secrets, status and timing; never control calls', async () => {
    const seen: RequestLogEntry[] = [];
    const unsubscribe = emulator.control.onRequestCompleted((entry) => seen.push(entry));
    const since = emulator.control.requests().at(-1)?.seq ?? 0;
    await emulatorRequest(
      `${vaultUrl}/secrets?api-version=7.6&code=function-key&sig=abc&maxresults=3`,
      emulator.caCert,
      {
        headers: auth,
      },
    );
    await emulatorRequest(accountUrl(), emulator.caCert, { headers: auth });
    await emulatorRequest(`${emulator.origin}/nowhere?subscription-key=k`, emulator.caCert);
    await emulatorRequest(control('/state'), emulator.caCert);
    unsubscribe();
    await emulatorRequest(`${vaultUrl}/secrets?api-version=7.6`, emulator.caCert, { headers: auth });

    const entries = emulator.control.requests({ since });
    expect(entries.map((e) => [e.origin, e.server, e.method, e.path, e.status])).toEqual([
      ['ctl-vault', 'vault', 'GET', '/secrets?api-version=7.6&maxresults=3', 200],
      ['arm', 'emulator', 'GET', `${new URL(accountUrl()).pathname}?api-version=2025-09-01`, 200],
      ['emulator', 'emulator', 'GET', '/nowhere', 404],
      ['ctl-vault', 'vault', 'GET', '/secrets?api-version=7.6', 200],
    ]);
    expect(seen).toEqual(entries.slice(0, 3));
    for (const entry of entries) {
      expect(Date.parse(entry.end)).toBeGreaterThanOrEqual(Date.parse(entry.start));
      expect(entry.endMs).toBeGreaterThanOrEqual(entry.startMs);
      expect(entry.durationMs).toBeCloseTo(entry.endMs - entry.startMs, 6);
      expect(entry.clock).toMatch(/^\d{4}-/);
    }
    const overHttp = await emulatorRequest(control(`/requests?since=${since}&origin=arm`), emulator.caCert);
    expect((overHttp.json() as { value: RequestLogEntry[] }).value).toHaveLength(1);
    expect(JSON.stringify(emulator.control.requests())).not.toContain('function-key');
  });
});

describe('state snapshot', () => {
  it('shows vaults with value hashes, ARM and data-plane state, and does not change on reads', async () => {
    await client.setSecret('snap', 'snapshot-value', { tags: { a: '1' } });
    const read = async () =>
      (await emulatorRequest(control('/state'), emulator.caCert)).json() as Record<string, unknown>;
    const before = await read();
    expect(JSON.stringify(before)).not.toContain('snapshot-value');
    const vault = (
      before.vaults as { name: string; secrets: { name: string; versions: { valueSha256: string }[] }[] }[]
    )[0]!;
    expect(vault.name).toBe('ctl-vault');
    const snap = vault.secrets.find((s) => s.name === 'snap');
    expect(snap?.versions[0]?.valueSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(before).toHaveProperty('arm');
    expect(before).toHaveProperty('dataPlanes');

    await client.getSecret('snap');
    for await (const _ of client.listPropertiesOfSecrets()) {
      // listing only
    }
    const after = await read();
    const { clock: _c1, ...stableBefore } = before;
    const { clock: _c2, ...stableAfter } = after;
    expect(stableAfter).toEqual(stableBefore);

    await client.setSecret('snap', 'changed');
    const { clock: _c3, ...changed } = await read();
    expect(changed).not.toEqual(stableBefore);
  });
});

describe('mounted modules', () => {
  it('serves Event Grid custom topics on the shared origin', async () => {
    const topic = emulator.control.topics.declare({ name: 'ops-events' });
    expect(topic.endpoint.startsWith(emulator.origin)).toBe(true);
    const publisher = new EventGridPublisherClient(
      topic.endpoint,
      'EventGrid',
      new AzureKeyCredential(topic.key1),
      {
        tlsOptions: { ca: emulator.caCert },
      },
    );
    await publisher.send([
      { eventType: 'Rotation.Done', subject: 'api-key', dataVersion: '1', data: { ok: true } },
    ]);
    expect(emulator.control.topics.events('ops-events').map((e) => e.event.eventType)).toEqual([
      'Rotation.Done',
    ]);
    expect(emulator.control.requests().at(-1)).toMatchObject({ origin: 'data', method: 'POST', status: 200 });
    expect(emulator.control.state()).toHaveProperty('topics');
  });
});

describe('lifecycle', () => {
  it('enforces the body limit and frees every port on stop', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-lifecycle-'));
    const small = await startEmulator({ vaults: ['life-vault'], stateDir: dir, bodyLimitBytes: 1000 });
    const url = small.vaults[0]!.url;
    const tooBig = await emulatorRequest(`${url}/secrets/big?api-version=7.6`, small.caCert, {
      method: 'PUT',
      headers: auth,
      body: { value: 'x'.repeat(2000) },
    });
    expect(tooBig.status).toBe(413);
    // A kept-alive SDK connection must not keep the server open.
    const sdk = emulatorSecretClient(url, small.caCert);
    await sdk.setSecret('alive', 'x');
    await small.stop();
    await small.stop();
    for (const target of [url, small.origin]) {
      await expect(emulatorRequest(`${target}/secrets?api-version=7.6`, small.caCert)).rejects.toThrow(
        /ECONNREFUSED/,
      );
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
