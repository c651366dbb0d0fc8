import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isRotationError, type RotationError } from '../../rotation/errors.js';
import type { CurrentCredential, SecretVersion } from '../../rotation/ports.js';
import { describeProviderContract } from '../contract.js';
import { leaked, makeContext, restError, StubDataPlane, VAULT } from '../shared/testing.js';
import { createCognitiveServicesProvider } from './adapter.js';
import type { CognitiveAccountInfo, CognitiveKeyName, CognitiveKeys, CognitiveKeysClient } from './client.js';
import { type CognitiveServicesSettings, cognitiveServicesSettingsSchema } from './settings.js';

const SUB = '11111111-2222-3333-4444-555555555555';
const ID = `/subscriptions/${SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/oai-test`;

const newKey = () => randomBytes(16).toString('hex');

/** In-memory account: two keys, a call log, and an optional failure per operation. */
class FakeCognitiveAccount implements CognitiveKeysClient {
  keys = { key1: newKey(), key2: newKey() };
  info: CognitiveAccountInfo = { kind: 'OpenAI' };
  calls: string[] = [];
  /** Every value the account ever had (to prove none leaks). */
  history: string[] = [];
  failWith: Partial<Record<'get' | 'listKeys' | 'regenerateKey', Error>> = {};

  constructor() {
    this.history.push(this.keys.key1, this.keys.key2);
  }

  private check(op: 'get' | 'listKeys' | 'regenerateKey', rg: string, name: string) {
    this.calls.push(op);
    expect(rg).toBe('rg-ai');
    expect(name).toBe('oai-test');
    const failure = this.failWith[op];
    if (failure) throw failure;
  }

  async get(rg: string, name: string): Promise<CognitiveAccountInfo> {
    this.check('get', rg, name);
    return this.info;
  }

  async listKeys(rg: string, name: string): Promise<CognitiveKeys> {
    this.check('listKeys', rg, name);
    return { ...this.keys };
  }

  async regenerateKey(rg: string, name: string, keyName: CognitiveKeyName): Promise<CognitiveKeys> {
    this.check('regenerateKey', rg, name);
    this.calls.push(`regenerate:${keyName}`);
    const fresh = newKey();
    this.history.push(fresh);
    if (keyName === 'Key1') this.keys.key1 = fresh;
    else this.keys.key2 = fresh;
    return { ...this.keys };
  }
}

function setup(settings: Partial<CognitiveServicesSettings> = {}, dataPlaneTimeoutMs?: number) {
  const account = new FakeCognitiveAccount();
  const subscriptions: string[] = [];
  const provider = createCognitiveServicesProvider({
    keysClient: (subscriptionId) => {
      subscriptions.push(subscriptionId);
      return account;
    },
    ...(dataPlaneTimeoutMs === undefined ? {} : { dataPlane: { timeoutMs: dataPlaneTimeoutMs } }),
  });
  const parsed = cognitiveServicesSettingsSchema.parse({ resourceId: ID, ...settings });
  const t = makeContext('azure-cognitive-services', parsed, ['app-key', 'sibling-key']);
  return { account, provider, subscriptions, ...t };
}

function current(version: SecretVersion): CurrentCredential {
  return {
    value: version.value,
    version: version.version,
    credentialId: undefined,
    tags: version.tags,
  };
}

async function rejection(promise: Promise<unknown>): Promise<RotationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRotationError(error)) throw new Error(`expected a RotationError, got ${String(error)}`);
  return error;
}

/** The shared provider contract over the in-memory account and a loopback data plane that checks keys. */
const contractPlane = new StubDataPlane();
let contractEndpoint = '';
beforeAll(async () => {
  contractEndpoint = await contractPlane.start();
});
afterAll(() => contractPlane.stop());

describeProviderContract(
  'azure-cognitive-services (in-memory ARM)',
  { mode: 'automatic', retrieve: true, revoke: true },
  () => {
    const account = new FakeCognitiveAccount();
    account.info = { kind: 'OpenAI', endpoint: contractEndpoint };
    const live = (value: string) => value === account.keys.key1 || value === account.keys.key2;
    contractPlane.respond = (req) => ({ status: live(String(req.headers['api-key'])) ? 200 : 401 });
    return {
      provider: createCognitiveServicesProvider({ keysClient: () => account }),
      settings: { resourceId: ID },
      seed: (world, group) => {
        for (const secret of group.secrets) {
          world.store.seed(group.vault, secret.name, {
            value: account.keys.key1,
            tags: { CredentialId: 'key1' },
          });
        }
      },
      isLive: async (_world, _group, credential) => live(credential.value),
    };
  },
);

describe('azure-cognitive-services: key alternation', () => {
  it('regenerates key2 when consumers use key1, and leaves key1 alone', async () => {
    const { account, provider, ctx, store, subscriptions } = setup();
    const key1 = account.keys.key1;
    const v = store.seed(VAULT, 'app-key', { value: key1, tags: { CredentialId: 'key1' } });

    const result = await provider.issue(ctx, current(v));

    expect(result.kind).toBe('issued');
    if (result.kind !== 'issued') return;
    expect(result.credential.credentialId).toBe('key2');
    expect(result.credential.value).toBe(account.keys.key2);
    expect(result.credential.providerAddress).toBe(ID);
    expect(account.keys.key1).toBe(key1);
    expect(account.calls).toContain('regenerate:Key2');
    expect(subscriptions).toContain(SUB);
  });

  it('regenerates key1 when consumers use key2 (tag read case-insensitively)', async () => {
    const { account, provider, ctx, store } = setup();
    const key2 = account.keys.key2;
    const v = store.seed(VAULT, 'app-key', { value: key2, tags: { credentialid: 'Key2' } });

    const result = await provider.issue(ctx, current(v));

    expect(result).toMatchObject({
      kind: 'issued',
      credential: { credentialId: 'key1', value: account.keys.key1 },
    });
    expect(account.keys.key2).toBe(key2);
  });

  it('alternates over successive rotations: the key before the current one dies', async () => {
    const { account, provider, ctx, store } = setup();
    const original = account.keys.key1;
    let v = store.seed(VAULT, 'app-key', { value: original, tags: { CredentialId: 'key1' } });
    const first = await provider.issue(ctx, current(v));
    if (first.kind !== 'issued') throw new Error('not issued');
    v = store.seed(VAULT, 'app-key', { value: first.credential.value, tags: { CredentialId: 'key2' } });
    const second = await provider.issue(ctx, current(v));
    if (second.kind !== 'issued') throw new Error('not issued');

    expect(second.credential.credentialId).toBe('key1');
    expect(Object.values(account.keys)).not.toContain(original);
    expect(account.keys.key2).toBe(first.credential.value);
  });

  it('identifies the key in use from the value when the CredentialId tag is missing', async () => {
    const { account, provider, ctx, store } = setup();
    const v = store.seed(VAULT, 'app-key', { value: account.keys.key2 });

    const result = await provider.issue(ctx, { ...current(v), credentialId: undefined });

    expect(result).toMatchObject({ credential: { credentialId: 'key1' } });
    expect(account.calls).toContain('regenerate:Key1');
  });

  it('trusts the value over a stale tag, so the key in use is never regenerated', async () => {
    const { account, provider, ctx, store, log } = setup();
    const inUse = account.keys.key2;
    const v = store.seed(VAULT, 'app-key', { value: inUse, tags: { CredentialId: 'key1' } });

    const result = await provider.issue(ctx, current(v));

    expect(result).toMatchObject({ credential: { credentialId: 'key1' } });
    expect(account.keys.key2).toBe(inUse);
    expect(
      log.lines.some((l) => l.level === 'warn' && l.message.includes('CredentialId tag says key1')),
    ).toBe(true);
  });

  it('falls back to the tag when the value matches neither key', async () => {
    const { account, provider, ctx, store } = setup();
    const v = store.seed(VAULT, 'app-key', { value: newKey(), tags: { CredentialId: 'key2' } });

    const result = await provider.issue(ctx, current(v));

    expect(result).toMatchObject({ credential: { credentialId: 'key1' } });
    expect(account.calls).toContain('regenerate:Key1');
  });

  it('refuses to guess when the value matches neither key and there is no tag', async () => {
    const { account, provider, ctx, store } = setup();
    const stray = newKey();
    const v = store.seed(VAULT, 'app-key', { value: stray });

    const error = await rejection(provider.issue(ctx, current(v)));

    expect(error.code).toBe('CredentialRejected');
    expect(error.message).toContain('CredentialId');
    expect(account.calls).not.toContain('regenerateKey');
    expect(leaked(error, [stray, ...account.history])).toEqual([]);
  });

  it('refuses to issue without a current value (which key consumers use is unknown)', async () => {
    const { account, provider, ctx } = setup();
    const error = await rejection(provider.issue(ctx, undefined));
    expect(error.code).toBe('BadRequest');
    expect(account.calls).toEqual([]);
  });

  it('retrieves an issued key without regenerating (resume after a crash)', async () => {
    const { account, provider, ctx } = setup();
    const retrieved = await provider.retrieve?.(ctx, 'KEY2');
    expect(retrieved).toEqual({ value: account.keys.key2, credentialId: 'key2', providerAddress: ID });
    expect(account.calls).toEqual(['listKeys']);
    const error = await rejection(provider.retrieve?.(ctx, 'Primary') ?? Promise.resolve());
    expect(error.code).toBe('BadRequest');
  });

  it('identifies a value via listKeys', async () => {
    const { account, provider, ctx } = setup();
    expect(await provider.identify?.(ctx, ` ${account.keys.key1}\n`)).toBe('key1');
    expect(await provider.identify?.(ctx, newKey())).toBeUndefined();
  });

  it('prepare lists the keys and reads the account while the engine reads Key Vault; issue uses them', async () => {
    const { account, provider, ctx, store } = setup();
    const v = store.seed(VAULT, 'app-key', { value: account.keys.key1, tags: { CredentialId: 'key1' } });
    provider.prepare!(ctx);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(account.calls).toEqual(['listKeys', 'get']);
    const result = await provider.issue(ctx, current(v));
    expect(result).toMatchObject({ kind: 'issued', credential: { credentialId: 'key2' } });
    // one listing per attempt: issue took the prepared one
    expect(account.calls).toEqual(['listKeys', 'get', 'regenerateKey', 'regenerate:Key2']);
    // a later issue with the same context lists again (the prepared listing is used once)
    await provider.issue(ctx, current(store.seed(VAULT, 'app-key', { value: account.keys.key2 })));
    expect(account.calls.filter((c) => c === 'listKeys')).toHaveLength(2);
  });

  it('prepare reports nothing itself: a failed listing surfaces in issue', async () => {
    const { account, provider, ctx, store } = setup({ endpoint: 'https://oai.invalid/', kind: 'OpenAI' });
    account.failWith.listKeys = restError(403);
    provider.prepare!(ctx);
    const v = store.seed(VAULT, 'app-key', { value: account.keys.key1, tags: { CredentialId: 'key1' } });
    await expect(provider.issue(ctx, current(v))).rejects.toMatchObject({ code: 'PermissionDenied' });
    expect(account.calls).toEqual(['listKeys']);
  });

  it('declares itself automatic, revoking the previous key only on compromise', () => {
    const { provider } = setup();
    expect(provider.kind).toBe('azure-cognitive-services');
    expect(provider.mode).toBe('automatic');
    expect(provider.revokePolicy).toBe('on-compromise');
  });
});

describe('azure-cognitive-services: revoke', () => {
  it('regenerates the previously current key so the leaked value dies', async () => {
    const { account, provider, ctx, store } = setup();
    const leakedKey = account.keys.key1;
    const old = store.seed(VAULT, 'app-key', { value: leakedKey, tags: { CredentialId: 'key1' } });
    store.seed(VAULT, 'app-key', { value: account.keys.key2, tags: { CredentialId: 'key2' } });
    store.seed(VAULT, 'sibling-key', { value: account.keys.key2, tags: { CredentialId: 'key2' } });

    const result = await provider.revoke?.(ctx, { credentialId: 'key1', version: old.version });

    expect(result).toEqual({ revoked: ['key1'], pendingHuman: [] });
    expect(Object.values(account.keys)).not.toContain(leakedKey);
  });

  it('works out the key from the old version value when it has no CredentialId', async () => {
    const { account, provider, ctx, store } = setup();
    const leakedKey = account.keys.key2;
    const old = store.seed(VAULT, 'app-key', { value: leakedKey });
    store.seed(VAULT, 'app-key', { value: account.keys.key1 });

    const result = await provider.revoke?.(ctx, { credentialId: undefined, version: old.version });

    expect(result?.revoked).toEqual(['key2']);
    expect(account.keys.key2).not.toBe(leakedKey);
  });

  it('refuses to regenerate a key that a secret of the group still serves', async () => {
    const { account, provider, ctx, store } = setup();
    const old = store.seed(VAULT, 'app-key', { value: account.keys.key1, tags: { CredentialId: 'key1' } });
    store.seed(VAULT, 'app-key', { value: account.keys.key2 });
    store.seed(VAULT, 'sibling-key', { value: account.keys.key1 });

    const error = await rejection(
      provider.revoke?.(ctx, { credentialId: 'key1', version: old.version }) ?? Promise.resolve(),
    );

    expect(error.message).toContain("secret 'sibling-key' serves it now");
    expect(account.calls).not.toContain('regenerateKey');
    expect(leaked(error, account.history)).toEqual([]);
  });
});

describe('azure-cognitive-services: ARM errors', () => {
  it('names the role to grant on 403, without key values', async () => {
    const { account, provider, ctx, store } = setup();
    account.failWith.regenerateKey = restError(403, {}, account.keys.key1);
    const v = store.seed(VAULT, 'app-key', { value: account.keys.key1, tags: { CredentialId: 'key1' } });

    const error = await rejection(provider.issue(ctx, current(v)));

    expect(error.code).toBe('PermissionDenied');
    expect(error.message).toContain('Cognitive Services Contributor');
    expect(error.message).toContain('Microsoft.CognitiveServices/accounts/regenerateKey/action');
    expect(error.message).toContain(ID);
    expect(leaked(error, account.history)).toEqual([]);
    // The check would have caught the raw SDK error (it carries the request and response).
    expect(leaked(restError(403, {}, account.keys.key1), account.history)).not.toEqual([]);
  });

  it('maps 404 to ResourceNotFound naming the ARM id', async () => {
    const { account, provider, ctx } = setup();
    account.failWith.listKeys = restError(404);
    const error = await rejection(provider.identify?.(ctx, 'x') ?? Promise.resolve());
    expect(error.code).toBe('ResourceNotFound');
    expect(error.message).toContain(ID);
  });

  it('maps 429/5xx that outlived the SDK retries to a transient AzureUnavailable with Retry-After', async () => {
    const { account, provider, ctx } = setup();
    account.failWith.listKeys = restError(429, { 'retry-after': '17' });
    const throttled = await rejection(provider.retrieve?.(ctx, 'key1') ?? Promise.resolve());
    expect(throttled).toMatchObject({ code: 'AzureUnavailable', transient: true, retryAfterSeconds: 17 });

    account.failWith.listKeys = restError(503);
    const down = await rejection(provider.retrieve?.(ctx, 'key1') ?? Promise.resolve());
    expect(down).toMatchObject({ code: 'AzureUnavailable', transient: true });
  });

  it('rejects a malformed resource id before calling ARM', async () => {
    const { account, provider, ctx } = setup();
    ctx.settings = {
      ...ctx.settings,
      resourceId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Web/sites/app',
    };
    const error = await rejection(provider.identify?.(ctx, 'x') ?? Promise.resolve());
    expect(error.code).toBe('ConfigInvalid');
    expect(error.message).toContain('expected Microsoft.CognitiveServices/accounts');
    expect(account.calls).toEqual([]);
  });
});

describe('azure-cognitive-services: validation', () => {
  const plane = new StubDataPlane();
  let endpoint = '';

  beforeAll(async () => {
    endpoint = await plane.start();
  });
  afterAll(() => plane.stop());
  beforeEach(() => {
    plane.requests.length = 0;
    plane.respond = () => ({ status: 200 });
  });

  it('calls the Azure OpenAI models list with api-key (kind and endpoint from ARM)', async () => {
    const { account, provider, ctx } = setup();
    account.info = { kind: 'OpenAI', endpoint };
    const key = account.keys.key2;

    expect(await provider.validate(ctx, { value: key, credentialId: 'key2' })).toEqual({ ok: true });

    expect(plane.requests).toHaveLength(1);
    const [request] = plane.requests;
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe('/openai/models?api-version=2024-10-21');
    expect(request?.headers['api-key']).toBe(key);
    // One ARM GET per account, cached across calls.
    await provider.validate(ctx, { value: key, credentialId: 'key2' });
    expect(account.calls.filter((c) => c === 'get')).toHaveLength(1);
  });

  it('calls the Speech token endpoint with Ocp-Apim-Subscription-Key', async () => {
    const { account, provider, ctx } = setup({ kind: 'SpeechServices', endpoint: `${endpoint}speech` });
    const key = account.keys.key1;

    expect(await provider.validate(ctx, { value: key, credentialId: 'key1' })).toEqual({ ok: true });

    const [request] = plane.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/speech/sts/v1.0/issueToken');
    expect(request?.headers['ocp-apim-subscription-key']).toBe(key);
    expect(account.calls).not.toContain('get');
  });

  it('honours validation.apiVersion', async () => {
    const { account, provider, ctx } = setup({
      kind: 'OpenAI',
      endpoint,
      validation: { apiVersion: '2025-01-01' },
    });
    await provider.validate(ctx, { value: account.keys.key1, credentialId: 'key1' });
    expect(plane.requests[0]?.url).toBe('/openai/models?api-version=2025-01-01');
  });

  it.each([
    [401, 'rejected'],
    [403, 'rejected'],
    [429, 'unavailable'],
    [500, 'unavailable'],
    [503, 'unavailable'],
    [404, 'unavailable'],
  ] as const)('maps HTTP %i to %s, with no key in the reason', async (status, outcome) => {
    const { account, provider, ctx } = setup({ kind: 'OpenAI', endpoint });
    plane.respond = () => ({ status });
    const key = account.keys.key1;
    const result = await provider.validate(ctx, { value: key, credentialId: 'key1' });
    expect(result).toMatchObject({ ok: false, outcome });
    expect(leaked(result, [key])).toEqual([]);
  });

  it('passes Retry-After of a throttled answer on', async () => {
    const { account, provider, ctx } = setup({ kind: 'OpenAI', endpoint });
    plane.respond = () => ({ status: 429, headers: { 'retry-after': '12' } });
    const result = await provider.validate(ctx, { value: account.keys.key1, credentialId: 'key1' });
    expect(result).toEqual({
      ok: false,
      outcome: 'unavailable',
      reason: 'Azure OpenAI models call unavailable (HTTP 429)',
      retryAfterSeconds: 12,
    });
  });

  it('answers unavailable when the data plane does not answer within the timeout', async () => {
    const { account, provider, ctx } = setup({ kind: 'OpenAI', endpoint }, 150);
    plane.respond = () => ({ status: 200, hang: true });
    const result = await provider.validate(ctx, { value: account.keys.key1, credentialId: 'key1' });
    expect(result).toMatchObject({ ok: false, outcome: 'unavailable' });
  });

  it('answers unavailable when the connection is refused', async () => {
    const { account, provider, ctx } = setup({ kind: 'OpenAI', endpoint: 'http://127.0.0.1:9/' });
    const result = await provider.validate(ctx, { value: account.keys.key1, credentialId: 'key1' });
    expect(result).toMatchObject({ ok: false, outcome: 'unavailable' });
  });

  it('answers unavailable (not an exception) when ARM is down while looking up the endpoint', async () => {
    const { account, provider, ctx } = setup();
    account.failWith.get = restError(503, { 'retry-after': '5' });
    const result = await provider.validate(ctx, { value: account.keys.key1, credentialId: 'key1' });
    expect(result).toMatchObject({ ok: false, outcome: 'unavailable', retryAfterSeconds: 5 });
  });
});

describe('azure-cognitive-services: settings', () => {
  it('accepts an ARM id with any segment casing and rejects other resource types', () => {
    const lower = ID.replace('resourceGroups', 'resourcegroups').replace(
      'Microsoft.CognitiveServices',
      'microsoft.cognitiveservices',
    );
    expect(cognitiveServicesSettingsSchema.safeParse({ resourceId: lower }).success).toBe(true);
    const bad = cognitiveServicesSettingsSchema.safeParse({
      resourceId: '/subscriptions/x/resourceGroups/rg',
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toContain('/subscriptions/{subscriptionId}/resourceGroups/');
    expect(cognitiveServicesSettingsSchema.safeParse({ resourceId: ID, endpoint: 'ftp://x' }).success).toBe(
      false,
    );
    expect(cognitiveServicesSettingsSchema.safeParse({ resourceId: ID, extra: 1 }).success).toBe(false);
  });
});
