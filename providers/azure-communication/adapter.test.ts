import { createHash, createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isRotationError, type RotationError } from '../../rotation/errors.js';
import type { CurrentCredential, SecretVersion } from '../../rotation/ports.js';
import { describeProviderContract } from '../contract.js';
import { acsConnectionString, parseAcsConnectionString } from '../shared/acs-hmac.js';
import {
  leaked,
  makeContext,
  type RecordedRequest,
  restError,
  StubDataPlane,
  VAULT,
} from '../shared/testing.js';
import { createCommunicationProvider } from './adapter.js';
import type {
  CommunicationKeys,
  CommunicationKeysClient,
  CommunicationKeyType,
  CommunicationResourceInfo,
} from './client.js';
import { type CommunicationSettings, communicationSettingsSchema } from './settings.js';

const SUB = '22222222-3333-4444-5555-666666666666';
const ID = `/subscriptions/${SUB}/resourceGroups/rg-comms/providers/Microsoft.Communication/communicationServices/acs-test`;
const HOST = 'acs-test.unitedstates.communication.azure.com';

const newKey = () => randomBytes(64).toString('base64');

/** In-memory Communication resource: regenerateKey answers only the regenerated half, like Azure. */
class FakeCommunicationResource implements CommunicationKeysClient {
  primary = newKey();
  secondary = newKey();
  hostName: string | undefined = HOST;
  /** Whether listKeys/regenerateKey include connection strings (the API does; older examples omit them). */
  withConnectionStrings = true;
  calls: string[] = [];
  history: string[] = [this.primary, this.secondary];
  failWith: Partial<Record<'get' | 'listKeys' | 'regenerateKey', Error>> = {};

  endpoint(): string {
    return `https://${this.hostName}/`;
  }

  private check(op: 'get' | 'listKeys' | 'regenerateKey', rg: string, name: string) {
    this.calls.push(op);
    expect([rg, name]).toEqual(['rg-comms', 'acs-test']);
    const failure = this.failWith[op];
    if (failure) throw failure;
  }

  async get(rg: string, name: string): Promise<CommunicationResourceInfo> {
    this.check('get', rg, name);
    return this.hostName === undefined ? {} : { hostName: this.hostName };
  }

  async listKeys(rg: string, name: string): Promise<CommunicationKeys> {
    this.check('listKeys', rg, name);
    const keys: CommunicationKeys = { primaryKey: this.primary, secondaryKey: this.secondary };
    if (this.withConnectionStrings) {
      keys.primaryConnectionString = acsConnectionString(this.endpoint(), this.primary);
      keys.secondaryConnectionString = acsConnectionString(this.endpoint(), this.secondary);
    }
    return keys;
  }

  async regenerateKey(rg: string, name: string, keyType: CommunicationKeyType): Promise<CommunicationKeys> {
    this.check('regenerateKey', rg, name);
    this.calls.push(`regenerate:${keyType}`);
    const fresh = newKey();
    this.history.push(fresh);
    if (keyType === 'Primary') this.primary = fresh;
    else this.secondary = fresh;
    const cs = this.withConnectionStrings ? acsConnectionString(this.endpoint(), fresh) : undefined;
    return keyType === 'Primary'
      ? { primaryKey: fresh, ...(cs ? { primaryConnectionString: cs } : {}) }
      : { secondaryKey: fresh, ...(cs ? { secondaryConnectionString: cs } : {}) };
  }
}

function setup(settings: Partial<CommunicationSettings> = {}) {
  const resource = new FakeCommunicationResource();
  const provider = createCommunicationProvider({ keysClient: () => resource });
  const parsed = communicationSettingsSchema.parse({ resourceId: ID, ...settings });
  return { resource, provider, ...makeContext('azure-communication', parsed) };
}

function current(version: SecretVersion): CurrentCredential {
  return { value: version.value, version: version.version, credentialId: undefined, tags: version.tags };
}

async function rejection(promise: Promise<unknown> | undefined): Promise<RotationError> {
  const error = await (promise ?? Promise.resolve()).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRotationError(error)) throw new Error(`expected a RotationError, got ${String(error)}`);
  return error;
}

/** A credential of the same shape signed with a key the resource never had. */
function spoil<C extends { value: string }>(credential: C): C {
  const parsed = parseAcsConnectionString(credential.value);
  return { ...credential, value: parsed ? acsConnectionString(parsed.endpoint, newKey()) : newKey() };
}

/** The shared provider contract over the in-memory resource and a loopback data plane verifying HMAC. */
const contractPlane = new StubDataPlane();
let contractEndpoint = '';
beforeAll(async () => {
  contractEndpoint = await contractPlane.start();
});
afterAll(() => contractPlane.stop());

describeProviderContract(
  'azure-communication (in-memory ARM)',
  { mode: 'automatic', retrieve: true, revoke: true },
  () => {
    const resource = new FakeCommunicationResource();
    // The stub speaks http; connection strings carry the endpoint the validator calls.
    resource.endpoint = () => contractEndpoint;
    const keyOf = (value: string) => parseAcsConnectionString(value)?.accessKey ?? value;
    const live = (value: string) => [resource.primary, resource.secondary].includes(keyOf(value));
    contractPlane.respond = (req) => ({
      status: [resource.primary, resource.secondary].some((key) => verifySignature(req, key)) ? 200 : 401,
    });
    return {
      provider: createCommunicationProvider({ keysClient: () => resource }),
      settings: { resourceId: ID },
      seed: (world, group) => {
        const value = acsConnectionString(resource.endpoint(), resource.primary);
        for (const secret of group.secrets) {
          world.store.seed(group.vault, secret.name, { value, tags: { CredentialId: 'Primary' } });
        }
      },
      isLive: async (_world, _group, credential) => live(credential.value),
      spoil,
    };
  },
);

describe('azure-communication: key alternation', () => {
  it('holds connection strings by default: Primary in use → Secondary regenerated', async () => {
    const { resource, provider, ctx, store } = setup();
    const primary = resource.primary;
    const v = store.seed(VAULT, 'app-key', {
      value: acsConnectionString(resource.endpoint(), primary),
      tags: { CredentialId: 'Primary' },
    });

    const result = await provider.issue(ctx, current(v));

    expect(result).toEqual({
      kind: 'issued',
      credential: {
        value: acsConnectionString(resource.endpoint(), resource.secondary),
        credentialId: 'Secondary',
        providerAddress: ID,
      },
    });
    expect(resource.primary).toBe(primary);
    expect(resource.calls).toContain('regenerate:Secondary');
  });

  it('holds bare keys with holds=key: Secondary in use → Primary regenerated (tag any case)', async () => {
    const { resource, provider, ctx, store } = setup({ holds: 'key' });
    const v = store.seed(VAULT, 'app-key', {
      value: resource.secondary,
      tags: { CREDENTIALID: 'secondary' },
    });

    const result = await provider.issue(ctx, current(v));

    expect(result).toMatchObject({ credential: { value: resource.primary, credentialId: 'Primary' } });
  });

  it('identifies the key in use from a connection string when the tag is missing', async () => {
    const { resource, provider, ctx, store } = setup();
    const v = store.seed(VAULT, 'app-key', {
      value: acsConnectionString(resource.endpoint(), resource.secondary),
    });

    const result = await provider.issue(ctx, current(v));

    expect(result).toMatchObject({ credential: { credentialId: 'Primary' } });
    expect(await provider.identify?.(ctx, resource.secondary)).toBe('Secondary');
  });

  it('builds the connection string from ARM hostName when the response carries none', async () => {
    const { resource, provider, ctx, store } = setup();
    resource.withConnectionStrings = false;
    const v = store.seed(VAULT, 'app-key', { value: resource.primary, tags: { CredentialId: 'Primary' } });

    const result = await provider.issue(ctx, current(v));

    expect(result).toMatchObject({
      credential: {
        value: `endpoint=https://${HOST}/;accesskey=${resource.secondary}`,
        credentialId: 'Secondary',
      },
    });
  });

  it('retrieves the connection string of an issued key without regenerating', async () => {
    const { resource, provider, ctx } = setup();
    const retrieved = await provider.retrieve?.(ctx, 'secondary');
    expect(retrieved).toEqual({
      value: acsConnectionString(resource.endpoint(), resource.secondary),
      credentialId: 'Secondary',
      providerAddress: ID,
    });
    expect(resource.calls).toEqual(['listKeys']);
  });

  it('revokes the previously current key and refuses to revoke the served one', async () => {
    const { resource, provider, ctx, store } = setup();
    const leakedKey = resource.primary;
    const old = store.seed(VAULT, 'app-key', {
      value: acsConnectionString(resource.endpoint(), leakedKey),
      tags: { CredentialId: 'Primary' },
    });
    store.seed(VAULT, 'app-key', {
      value: acsConnectionString(resource.endpoint(), resource.secondary),
      tags: { CredentialId: 'Secondary' },
    });

    const refused = await rejection(
      provider.revoke?.(ctx, { credentialId: 'Secondary', version: old.version }),
    );
    expect(refused.message).toContain('serves it now');

    expect(await provider.revoke?.(ctx, { credentialId: 'Primary', version: old.version })).toEqual({
      revoked: ['Primary'],
      pendingHuman: [],
    });
    expect(resource.primary).not.toBe(leakedKey);
  });

  it('names the Contributor role on 403 and the ARM id on 404, without key values', async () => {
    const { resource, provider, ctx } = setup();
    resource.failWith.listKeys = restError(403, {}, resource.primary);
    const denied = await rejection(provider.retrieve?.(ctx, 'Primary'));
    expect(denied.code).toBe('PermissionDenied');
    expect(denied.message).toContain("'Contributor'");
    expect(denied.message).toContain('Microsoft.Communication/communicationServices/listKeys/action');
    expect(leaked(denied, resource.history)).toEqual([]);

    resource.failWith.listKeys = restError(404);
    const missing = await rejection(provider.retrieve?.(ctx, 'Primary'));
    expect(missing.code).toBe('ResourceNotFound');
    expect(missing.message).toContain(ID);
  });
});

/** Verifies the HMAC signature the way the service does, independently of the signer under test. */
function verifySignature(request: RecordedRequest, key: string): boolean {
  const date = String(request.headers['x-ms-date']);
  const host = String(request.headers.host);
  const hash = createHash('sha256').update(request.body).digest('base64');
  if (request.headers['x-ms-content-sha256'] !== hash) return false;
  const toSign = `${request.method}\n${request.url}\n${date};${host};${hash}`;
  const signature = createHmac('sha256', Buffer.from(key, 'base64')).update(toSign).digest('base64');
  return (
    request.headers.authorization ===
    `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`
  );
}

describe('azure-communication: validation', () => {
  const plane = new StubDataPlane();
  let endpoint = '';

  beforeAll(async () => {
    endpoint = await plane.start();
  });
  afterAll(() => plane.stop());
  beforeEach(() => {
    plane.requests.length = 0;
  });

  it('signs the call exactly as the Azure SDK does, with the clock of the context', async () => {
    const { resource, provider, ctx, clock } = setup();
    const key = resource.secondary;
    plane.respond = (req) => ({ status: verifySignature(req, key) ? 200 : 401 });

    const result = await provider.validate(ctx, {
      value: acsConnectionString(endpoint, key),
      credentialId: 'Secondary',
    });

    expect(result).toEqual({ ok: true });
    const [request] = plane.requests;
    expect(request?.method).toBe('GET');
    expect(request?.url).toMatch(/^\/emails\/operations\/[0-9a-f-]{36}\?api-version=2023-03-31$/);
    expect(request?.headers['x-ms-date']).toBe(clock.now().toUTCString());
    expect(resource.calls).toEqual([]);
  });

  it('uses the endpoint setting when the secret holds a bare key', async () => {
    const { resource, provider, ctx } = setup({ holds: 'key' });
    plane.respond = (req) => ({ status: verifySignature(req, resource.primary) ? 200 : 401 });
    ctx.settings = { ...ctx.settings, endpoint };
    expect(await provider.validate(ctx, { value: resource.primary, credentialId: 'Primary' })).toEqual({
      ok: true,
    });
    expect(await provider.validate(ctx, { value: newKey(), credentialId: 'Primary' })).toMatchObject({
      ok: false,
      outcome: 'rejected',
    });
  });

  it.each([
    [200, { ok: true }],
    [404, { ok: true }],
    [401, { ok: false, outcome: 'rejected' }],
    [403, { ok: false, outcome: 'rejected' }],
    [429, { ok: false, outcome: 'unavailable' }],
    [503, { ok: false, outcome: 'unavailable' }],
  ] as const)('maps HTTP %i to %o', async (status, expected) => {
    const { resource, provider, ctx } = setup();
    plane.respond = () => ({ status });
    const value = acsConnectionString(endpoint, resource.primary);
    const result = await provider.validate(ctx, { value, credentialId: 'Primary' });
    expect(result).toMatchObject(expected);
    expect(leaked(result, [resource.primary])).toEqual([]);
  });
});

describe('azure-communication: settings', () => {
  it('defaults holds to connectionString and rejects other resource types', () => {
    expect(communicationSettingsSchema.parse({ resourceId: ID }).holds).toBe('connectionString');
    const wrong = ID.replace(
      'Microsoft.Communication/communicationServices',
      'Microsoft.CognitiveServices/accounts',
    );
    expect(communicationSettingsSchema.safeParse({ resourceId: wrong }).success).toBe(false);
    expect(communicationSettingsSchema.safeParse({ resourceId: ID, holds: 'both' }).success).toBe(false);
  });
});
