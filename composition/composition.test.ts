/**
 * The composition root's parts: logger redaction, the catalog (config + Microsoft tags, cached reads), the
 * `{ secretRef }` resolver, the lazy singleton, and `createRotatorApp` choosing local (endpoints.json, the
 * emulator's clock) or Azure without touching the network.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../local/emulator/index.js';
import { loadConfig } from '../rotation/config/index.js';
import { isRotationError, type RotationError } from '../rotation/errors.js';
import { FakeClock, FakeSecretStore } from '../rotation/fakes/index.js';
import { loadSettings } from '../rotation/settings.js';
import { ConfigSecretCatalog } from './catalog.js';
import { EmulatorFollowingClock } from './clock.js';
import { getRotatorApp, resetRotatorApp, setRotatorApp } from './instance.js';
import { createJsonLogger } from './logger.js';
import { createRotatorApp } from './root.js';
import { createSettingResolver } from './setting-resolver.js';

const VAULT = 'kv-unit';
const OPENAI = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai-1';
const config = {
  vaults: [{ name: VAULT }],
  secrets: {
    'jwt-secret-key': { provider: 'jwt-secret', settings: {}, validityDays: 60 },
    'openai-a': { provider: 'azure-cognitive-services', settings: { resourceId: OPENAI } },
    'openai-b': { provider: 'azure-cognitive-services', settings: { resourceId: OPENAI } },
  },
};

const rejection = async (promise: Promise<unknown>): Promise<RotationError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRotationError(error)) throw new Error(`expected a RotationError, got ${String(error)}`);
  return error;
};

describe('JSON logger', () => {
  it('writes one JSON object per line, redacting code= and credential-named fields, keeping names and codes', () => {
    const lines: string[] = [];
    const log = createJsonLogger({ write: (line) => lines.push(line), now: () => new Date(0) });
    log.warn('GET /runtime/webhooks/eventgrid?functionName=x&code=abc123', {
      secret: 'jwt-secret-key',
      value: 'hunter2-value',
      nested: { connectionString: 'Endpoint=sb://x;SharedAccessKey=zzz', url: 'https://h/?sig=s3cr3t&x=1' },
      code: 'AzureUnavailable',
      message: 'from describeError',
    });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'warn',
      time: '1970-01-01T00:00:00.000Z',
      message: 'GET /runtime/webhooks/eventgrid?functionName=x&code=[redacted]',
      secret: 'jwt-secret-key',
      value: '[redacted]',
      nested: { connectionString: '[redacted]', url: 'https://h/?sig=[redacted]&x=1' },
      code: 'AzureUnavailable',
      'field.message': 'from describeError',
    });
    expect(lines[0]).not.toContain('abc123');
    expect(lines[0]).not.toContain('hunter2');
    expect(lines[0]).not.toContain('s3cr3t');
  });

  it('reduces errors to code and message and honours the level', () => {
    const lines: string[] = [];
    const log = createJsonLogger({ write: (line) => lines.push(line), level: 'warn' });
    log.info('dropped');
    const sdkError = Object.assign(new Error('boom\nsecond line'), {
      statusCode: 503,
      request: { headers: { authorization: 'Bearer t0ken' } },
    });
    log.error('failed', { error: sdkError });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ error: { code: 'Error', message: 'boom', status: 503 } });
    expect(lines[0]).not.toContain('t0ken');
  });
});

describe('ConfigSecretCatalog', () => {
  const clock = new FakeClock();
  const resolved = loadConfig(config);

  function catalogWithReads() {
    const store = new FakeSecretStore(clock);
    let reads = 0;
    const getCurrent = store.getCurrent.bind(store);
    store.getCurrent = (vault, name) => {
      reads++;
      return getCurrent(vault, name);
    };
    let now = 0;
    const catalog = new ConfigSecretCatalog(resolved, store, { tagCacheMs: 1000, nowMs: () => now });
    return { store, catalog, reads: () => reads, advance: (ms: number) => (now += ms) };
  }

  it('resolves configured secrets and their groups without reading Key Vault', async () => {
    const { catalog, reads } = catalogWithReads();
    expect(await catalog.resolveSecret('KV-UNIT', 'OpenAI-B')).toMatchObject({
      name: 'openai-b',
      group: 'openai-a',
    });
    expect((await catalog.resolveGroup(VAULT, 'openai-a'))?.secrets.map((s) => s.name)).toEqual([
      'openai-a',
      'openai-b',
    ]);
    expect(reads()).toBe(0);
  });

  it('infers a tagged secret as a group of its own, caching the tag read briefly', async () => {
    const { store, catalog, reads, advance } = catalogWithReads();
    store.seed(VAULT, 'legacy-speech-key', {
      value: randomBytes(16).toString('hex'),
      tags: {
        CredentialId: 'key1',
        ProviderAddress: OPENAI.replace('oai-1', 'speech-1'),
        ValidityPeriodDays: '60',
      },
    });
    const secret = await catalog.resolveSecret(VAULT, 'legacy-speech-key');
    expect(secret).toMatchObject({ provider: 'azure-cognitive-services', source: 'tags', validityDays: 60 });
    expect((await catalog.resolveGroup(VAULT, 'legacy-speech-key'))?.secrets).toHaveLength(1);
    expect(reads()).toBe(1);
    advance(1001);
    await catalog.resolveSecret(VAULT, 'legacy-speech-key');
    expect(reads()).toBe(2);
  });

  it('keeps primed tags like read ones, only for unconfigured secrets of its vaults', async () => {
    const { store, catalog, reads, advance } = catalogWithReads();
    const tags = { CredentialId: 'key2', ProviderAddress: OPENAI, ValidityPeriodDays: '45' };
    store.seed(VAULT, 'listed-key', { value: randomBytes(16).toString('hex'), tags: {} });
    catalog.primeTags(VAULT, 'Listed-Key', tags);
    catalog.primeTags(VAULT, 'gone-key', undefined);
    catalog.primeTags(VAULT, 'openai-a', tags);
    catalog.primeTags('kv-elsewhere', 'listed-key', tags);
    expect(await catalog.resolveSecret(VAULT, 'listed-key')).toMatchObject({
      source: 'tags',
      validityDays: 45,
    });
    expect(await catalog.resolveSecret(VAULT, 'gone-key')).toBeUndefined();
    expect(await catalog.resolveSecret(VAULT, 'openai-a')).toMatchObject({ source: 'config' });
    expect(await catalog.resolveSecret('kv-elsewhere', 'listed-key')).toBeUndefined();
    expect(reads()).toBe(0);
    advance(1001);
    expect(await catalog.resolveSecret(VAULT, 'listed-key')).toBeUndefined();
    expect(reads()).toBe(1);
  });

  it('knows nothing of untagged secrets, missing secrets and other vaults (no read for those)', async () => {
    const { store, catalog, reads } = catalogWithReads();
    store.seed(VAULT, 'plain', { value: 'x'.repeat(16) });
    expect(await catalog.resolveSecret(VAULT, 'plain')).toBeUndefined();
    expect(await catalog.resolveSecret(VAULT, 'missing')).toBeUndefined();
    expect(await catalog.resolveGroup(VAULT, 'plain')).toBeUndefined();
    const before = reads();
    expect(await catalog.resolveSecret('kv-elsewhere', 'openai-a')).toBeUndefined();
    expect(reads()).toBe(before);
  });
});

describe('secretRef resolver', () => {
  it('passes text through, reads references from Key Vault, and names the reference when it is missing', async () => {
    const store = new FakeSecretStore(new FakeClock());
    const value = randomBytes(16).toString('hex');
    store.seed(VAULT, 'signing-key', { value });
    const resolve = createSettingResolver(store, VAULT);
    expect(await resolve('https://example.com/hook')).toBe('https://example.com/hook');
    expect(await resolve({ secretRef: 'signing-key' })).toBe(value);
    const error = await rejection(resolve({ secretRef: 'nope', vault: VAULT }));
    expect(error.code).toBe('ConfigInvalid');
    expect(error.message).toContain('nope');
    const noVault = await rejection(createSettingResolver(store, undefined)({ secretRef: 'signing-key' }));
    expect(noVault.code).toBe('ConfigInvalid');
  });
});

describe('getRotatorApp', () => {
  const saved = { ...process.env };
  let dir = '';
  afterEach(() => {
    for (const key of ['ROTATION_CONFIG', 'LOCAL_STATE_DIR', 'AzureWebJobsStorage']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    resetRotatorApp();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('rejects every call with the same ConfigInvalid listing the problems', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'root-bad-'));
    process.env.LOCAL_STATE_DIR = dir;
    process.env.AzureWebJobsStorage = 'UseDevelopmentStorage=true';
    process.env.ROTATION_CONFIG = JSON.stringify({
      vaults: [{ name: VAULT }],
      secrets: { x: { provider: 'nope' } },
    });
    resetRotatorApp();
    const first = await rejection(getRotatorApp());
    const second = await rejection(getRotatorApp());
    expect(first.code).toBe('ConfigInvalid');
    expect(second).toBe(first);
    expect(first.details.length).toBeGreaterThan(0);
    expect(first.message).toContain('$.secrets');
  });

  it('returns the app installed with setRotatorApp', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'root-set-'));
    const app = await createRotatorApp({
      settings: loadSettings({
        LOCAL_STATE_DIR: dir,
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        ROTATION_CONFIG: JSON.stringify(config),
      }),
      log: createJsonLogger({ write: () => undefined }),
    });
    setRotatorApp(app);
    expect(await getRotatorApp()).toBe(app);
  });
});

describe('createRotatorApp', () => {
  let emulator: RunningEmulator;
  let stateDir: string;
  const quiet = createJsonLogger({ write: () => undefined });

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'root-local-'));
    emulator = await startEmulator({ vaults: [VAULT], stateDir });
    writeFileSync(
      path.join(stateDir, 'endpoints.json'),
      JSON.stringify({
        host: 'http://127.0.0.1:7071',
        functionKey: 'not-used-here',
        emulator: emulator.origin,
        vaults: emulator.vaults,
        armEndpoint: emulator.armEndpoint,
        caCertFile: emulator.caCertFile,
        storageConnectionString: 'UseDevelopmentStorage=true',
      }),
    );
  });
  afterAll(async () => {
    await emulator?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('is local when endpoints.json exists, with a clock that follows the emulator', async () => {
    const settings = loadSettings({ LOCAL_STATE_DIR: stateDir, ROTATION_CONFIG: JSON.stringify(config) });
    const app = await createRotatorApp({ settings, log: quiet });
    expect(app.mode).toBe('local');
    expect(app.config.vaults).toEqual([{ name: VAULT, url: emulator.vaults[0]!.url }]);
    expect(Object.keys(app.engine.providers).sort()).toEqual(
      expect.arrayContaining(['azure-cognitive-services', 'azure-communication', 'jwt-secret']),
    );
    const skew = () => Math.abs(app.engine.clock.now().getTime() - emulator.clock.now().getTime());
    expect(skew()).toBeLessThan(1000);
    emulator.control.advanceClock({ days: 3 });
    await (app.engine.clock as EmulatorFollowingClock).sync();
    expect(skew()).toBeLessThan(1000);
  });

  it('refuses a config naming a vault the emulator does not serve', async () => {
    const settings = loadSettings({
      LOCAL_STATE_DIR: stateDir,
      ROTATION_CONFIG: JSON.stringify({
        ...config,
        vaults: [{ name: VAULT }, { name: 'kv-missing' }],
        secrets: {},
      }),
    });
    const error = await rejection(createRotatorApp({ settings, log: quiet }));
    expect(error).toMatchObject({ code: 'ConfigInvalid', details: [{ path: '$.vaults[1].name' }] });
  });

  it('is azure without endpoints.json, building nothing that calls out; storage is required', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'root-azure-'));
    try {
      const base = { LOCAL_STATE_DIR: empty, ROTATION_CONFIG: JSON.stringify(config) };
      const app = await createRotatorApp({
        settings: loadSettings({
          ...base,
          AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=eA==',
        }),
        log: quiet,
      });
      expect(app.mode).toBe('azure');
      const missing = await rejection(
        createRotatorApp({ settings: loadSettings(base), log: quiet, processEnv: {} }),
      );
      expect(missing).toMatchObject({ code: 'ConfigInvalid', details: [{ path: 'AzureWebJobsStorage' }] });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('EmulatorFollowingClock', () => {
  it('rejects sync with AzureUnavailable when nothing answers', async () => {
    const clock = new EmulatorFollowingClock({ origin: 'https://127.0.0.1:9', caCert: 'x', timeoutMs: 500 });
    const error = await rejection(clock.sync());
    expect(error.code).toBe('AzureUnavailable');
  });
});
