import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../local/emulator/index.js';
import { isRotationError, type RotationError } from '../rotation/errors.js';
import { collect } from '../test/support/journal-runs.js';
import { type ClientFactory, createClientFactory } from './clients.js';
import { localEnvironment } from './endpoints.js';
import { KeyVaultSecretStore } from './secret-store.js';

let emulator: RunningEmulator;
let stateDir: string;
let factory: ClientFactory;
let store: KeyVaultSecretStore;

const value = () => `test-${randomBytes(24).toString('base64url')}`;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'kv-store-'));
  emulator = await startEmulator({ vaults: ['kvmain', 'kvpaging'], stateDir });
  factory = createClientFactory(
    localEnvironment({
      caCert: emulator.caCert,
      vaultUrls: Object.fromEntries(emulator.vaults.map((v) => [v.name, v.url])),
      armEndpoint: emulator.armEndpoint,
      // Storage is not used here; any loopback endpoint satisfies the local-only check.
      storageConnectionString: 'UseDevelopmentStorage=true',
    }),
    { timing: 'fast' },
  );
  store = new KeyVaultSecretStore(factory);
});

afterAll(async () => {
  await emulator?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

beforeEach(() => {
  emulator.control.clearFaults();
});

describe('KeyVaultSecretStore (real SecretClient against the emulator)', () => {
  it('writes a version with tags, content type and dates, and reads it back', async () => {
    const v1 = value();
    const expiresOn = new Date('2027-01-01T00:00:00Z');
    const notBefore = new Date('2026-01-01T00:00:00Z');
    const written = await store.setSecret('KVMain', 'db-password', {
      value: v1,
      contentType: 'text/plain',
      tags: { RotatedBy: 'key-vault-rotator', CredentialId: 'gen-1' },
      expiresOn,
      notBefore,
    });
    expect(written).toMatchObject({
      vault: 'kvmain',
      name: 'db-password',
      enabled: true,
      contentType: 'text/plain',
      tags: { RotatedBy: 'key-vault-rotator', CredentialId: 'gen-1' },
      expiresOn,
      notBefore,
    });
    expect(written.version).toMatch(/^[0-9a-f]{32}$/);
    expect(written).not.toHaveProperty('value');

    const current = await store.getCurrent('kvmain', 'db-password');
    expect(current).toMatchObject({ version: written.version, value: v1, tags: written.tags });

    const v2 = value();
    const second = await store.setSecret('kvmain', 'db-password', { value: v2, tags: {} });
    expect((await store.getCurrent('kvmain', 'db-password'))?.value).toBe(v2);
    expect((await store.getVersion('kvmain', 'db-password', written.version))?.value).toBe(v1);
    expect((await store.getVersion('kvmain', 'db-password', second.version))?.tags).toEqual({});
  });

  it("knows the versions it wrote with the rotator's tags, without reading them back", async () => {
    const own = await store.setSecret('kvmain', 'own-write', {
      value: value(),
      tags: { RotatedBy: 'key-vault-rotator', RotationId: 'run-1' },
    });
    const plain = await store.setSecret('kvmain', 'own-write', { value: value(), tags: { team: 'ai' } });
    expect(store.wroteOwnVersion('KVMain', 'Own-Write', own.version)).toBe(true);
    expect(store.wroteOwnVersion('kvmain', 'own-write', plain.version)).toBe(false);
    // another store (another instance) did not write it: it must read
    const other = new KeyVaultSecretStore(factory);
    expect(other.wroteOwnVersion('kvmain', 'own-write', own.version)).toBe(false);
  });

  it('answers undefined for a missing secret or version', async () => {
    expect(await store.getCurrent('kvmain', 'never-written')).toBeUndefined();
    await store.setSecret('kvmain', 'one-version', { value: value(), tags: {} });
    expect(await store.getVersion('kvmain', 'one-version', '0'.repeat(32))).toBeUndefined();
  });

  it('updates a version (enabled, tags, expiry) and reports a disabled version clearly', async () => {
    const first = await store.setSecret('kvmain', 'api-key', { value: value(), tags: { Owner: 'ops' } });
    const expiresOn = new Date('2026-06-01T00:00:00Z');
    const updated = await store.updateVersion('kvmain', 'api-key', first.version, {
      tags: { Owner: 'ops', Stage: 'retired' },
      expiresOn,
      enabled: false,
    });
    expect(updated).toMatchObject({ version: first.version, enabled: false, expiresOn });
    expect(updated.tags).toEqual({ Owner: 'ops', Stage: 'retired' });

    const error = await store.getVersion('kvmain', 'api-key', first.version).catch((e: unknown) => e);
    expect(isRotationError(error, 'PermissionDenied')).toBe(true);
    expect((error as RotationError).message).toMatch(/disabled/);
    expect((error as RotationError).details).toEqual([{ path: 'version', message: 'SecretDisabled' }]);
    const current = await store.getCurrent('kvmain', 'api-key').catch((e: unknown) => e);
    expect(isRotationError(current, 'PermissionDenied')).toBe(true);

    const versions = await collect(store.listVersions('kvmain', 'api-key'));
    expect(versions.map((v) => [v.version, v.enabled])).toEqual([[first.version, false]]);
    const missing = await store
      .updateVersion('kvmain', 'api-key', 'f'.repeat(32), { enabled: true })
      .catch((e: unknown) => e);
    expect(isRotationError(missing, 'SecretNotFound')).toBe(true);
  });

  it('pages through more than 25 secrets and versions without reading values', async () => {
    for (let i = 0; i < 27; i++) {
      await store.setSecret('kvpaging', `secret-${String(i).padStart(2, '0')}`, {
        value: value(),
        tags: { N: `${i}` },
      });
    }
    for (let i = 0; i < 27; i++)
      await store.setSecret('kvpaging', 'many-versions', { value: value(), tags: {} });
    const secrets = await collect(store.listSecrets('kvpaging'));
    expect(secrets).toHaveLength(28);
    expect(secrets.every((s) => !('value' in s) && s.vault === 'kvpaging')).toBe(true);
    expect(secrets.find((s) => s.name === 'secret-26')?.tags).toEqual({ N: '26' });
    const versions = await collect(store.listVersions('kvpaging', 'many-versions'));
    expect(versions).toHaveLength(27);
    expect(new Set(versions.map((v) => v.version)).size).toBe(27);
    expect(versions.every((v) => !('value' in v))).toBe(true);
    const listCalls = emulator.control
      .requests()
      .filter((r) => r.origin === 'kvpaging' && r.method === 'GET');
    expect(
      listCalls.filter((r) => r.path.includes('/secrets/many-versions/versions')).length,
    ).toBeGreaterThanOrEqual(2);
    expect(listCalls.some((r) => /^\/secrets\/[^/?]+\/[0-9a-f]{32}/.test(r.path))).toBe(false);
  });

  it('refuses an unknown vault with a RotationError before any request', async () => {
    const error = await store.getCurrent('nosuchvault', 'x').catch((e: unknown) => e);
    expect(isRotationError(error, 'ResourceNotFound')).toBe(true);
    expect((error as RotationError).message).toMatch(/nosuchvault.*not configured/);
  });

  it('retries throttling with fast timing, then succeeds', async () => {
    emulator.control.addFault({
      origin: 'kvmain',
      method: 'GET',
      fault: { kind: 'throttle', retryAfterMs: 5 },
      times: 1,
    });
    await store.setSecret('kvmain', 'throttled', { value: value(), tags: {} });
    expect(await store.getCurrent('kvmain', 'throttled')).toBeDefined();
  });

  it('maps 403, persistent 429 and 503 to RotationErrors that never carry the value or token', async () => {
    const secretValue = value();
    emulator.control.addFault({ origin: 'kvmain', method: 'PUT', fault: { kind: 'error', status: 503 } });
    const unavailable = await store
      .setSecret('kvmain', 'leak-check', { value: secretValue, tags: {} })
      .catch((e: unknown) => e);
    expect(isRotationError(unavailable, 'AzureUnavailable')).toBe(true);
    expect((unavailable as RotationError).transient).toBe(true);
    for (const text of [
      JSON.stringify(unavailable),
      inspect(unavailable, { depth: 10 }),
      String(unavailable),
    ]) {
      expect(text).not.toContain(secretValue);
      expect(text).not.toContain('local-emulator-token');
      expect(text.toLowerCase()).not.toContain('authorization');
    }

    emulator.control.clearFaults();
    emulator.control.addFault({
      origin: 'kvmain',
      method: 'GET',
      fault: { kind: 'throttle', retryAfterSeconds: 7, retryAfterMs: 1 },
    });
    const throttled = await store.getCurrent('kvmain', 'throttled').catch((e: unknown) => e);
    expect(isRotationError(throttled, 'AzureUnavailable')).toBe(true);
    expect((throttled as RotationError).retryAfterSeconds).toBe(1);

    emulator.control.clearFaults();
    emulator.control.addFault({ origin: 'kvmain', fault: { kind: 'forbidden' } });
    const denied = await store.getCurrent('kvmain', 'throttled').catch((e: unknown) => e);
    expect(isRotationError(denied, 'PermissionDenied')).toBe(true);
  });
});
