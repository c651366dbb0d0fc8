/**
 * The Cognitive Services provider through the real `@azure/arm-cognitiveservices` client (built by the
 * azure/ client factory, retries included) against the local emulator's ARM and data planes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ClientFactory, createClientFactory } from '../../azure/clients.js';
import { localEnvironment } from '../../azure/endpoints.js';
import { type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import { isRotationError, type RotationError } from '../../rotation/errors.js';
import type { CredentialProvider, CurrentCredential, SecretVersion } from '../../rotation/ports.js';
import { describeProviderContract } from '../contract.js';
import { leaked, makeContext, VAULT } from '../shared/testing.js';
import { WarmConnections } from '../shared/warm-connections.js';
import { createCognitiveServicesProvider } from './adapter.js';
import { cognitiveKeysClients } from './client.js';
import { type CognitiveServicesSettings, cognitiveServicesSettingsSchema } from './settings.js';

const SUB = '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
const armId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/${name}`;

let stateDir = '';
let emulator: RunningEmulator;
let factory: ClientFactory;
/** Connections opened while a key is regenerated, for the validation call after it. */
const connections = new WarmConnections();
let provider: CredentialProvider<CognitiveServicesSettings>;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'cog-sdk-'));
  emulator = await startEmulator({
    vaults: [],
    stateDir,
    resources: [
      {
        type: 'Microsoft.CognitiveServices/accounts',
        subscriptionId: SUB,
        resourceGroup: 'rg-ai',
        name: 'oai-sdk',
        kind: 'OpenAI',
      },
      {
        type: 'Microsoft.CognitiveServices/accounts',
        subscriptionId: SUB,
        resourceGroup: 'rg-ai',
        name: 'speech-sdk',
        kind: 'SpeechServices',
      },
      {
        type: 'Microsoft.CognitiveServices/accounts',
        subscriptionId: SUB,
        resourceGroup: 'rg-ai',
        name: 'oai-contract',
        kind: 'OpenAI',
      },
      {
        type: 'Microsoft.CognitiveServices/accounts',
        subscriptionId: SUB,
        resourceGroup: 'rg-ai',
        name: 'oai-locked',
        kind: 'OpenAI',
        forbidden: ['regenerateKey'],
      },
    ],
  });
  const env = localEnvironment({
    caCert: emulator.caCert,
    vaultUrls: {},
    armEndpoint: emulator.armEndpoint,
    storageConnectionString: 'UseDevelopmentStorage=true',
  });
  factory = createClientFactory(env, { timing: 'fast' });
  provider = createCognitiveServicesProvider({
    keysClient: cognitiveKeysClients(factory),
    dataPlane: { ca: emulator.caCert, timeoutMs: 5_000, connections },
  });
});

afterAll(async () => {
  connections.close();
  await emulator?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

afterEach(() => emulator.control.clearFaults());

function context(name: string) {
  return makeContext(
    'azure-cognitive-services',
    cognitiveServicesSettingsSchema.parse({ resourceId: armId(name) }),
  );
}

const current = (v: SecretVersion): CurrentCredential => ({
  value: v.value,
  version: v.version,
  credentialId: undefined,
  tags: v.tags,
});

async function rejection(promise: Promise<unknown> | undefined): Promise<RotationError> {
  const error = await (promise ?? Promise.resolve()).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRotationError(error)) throw new Error(`expected a RotationError, got ${String(error)}`);
  return error;
}

describeProviderContract(
  'azure-cognitive-services (SDK against the emulator)',
  { mode: 'automatic', retrieve: true, revoke: true },
  () => ({
    provider,
    settings: { resourceId: armId('oai-contract') },
    seed: (world, group) => {
      const { key1 } = emulator.control.arm.cognitiveKeys(armId('oai-contract'));
      for (const secret of group.secrets) {
        world.store.seed(group.vault, secret.name, { value: key1, tags: { CredentialId: 'key1' } });
      }
    },
    isLive: async (_world, _group, credential) =>
      emulator.control.dataPlanes.isValid(
        'azure-cognitive-services',
        armId('oai-contract'),
        credential.value,
      ),
  }),
);

describe.each([
  ['OpenAI', 'oai-sdk', '/openai/models'],
  ['SpeechServices', 'speech-sdk', '/sts/v1.0/issueToken'],
])('azure-cognitive-services (%s) through the SDK', (_kind, name, dataPath) => {
  it('rotates by alternation: the key in use survives one rotation and dies in the next', async () => {
    const { ctx, store } = context(name);
    const original = emulator.control.arm.cognitiveKeys(armId(name));
    const v0 = store.seed(VAULT, 'app-key', { value: original.key1, tags: { CredentialId: 'key1' } });

    connections.close();
    const first = await provider.issue(ctx, current(v0));
    if (first.kind !== 'issued') throw new Error('not issued');
    expect(first.credential.credentialId).toBe('key2');
    expect(first.credential.providerAddress).toBe(armId(name));
    expect(first.credential.value).toBe(emulator.control.arm.cognitiveKeys(armId(name)).key2);
    // The data plane's connection was opened while the key was regenerated; validation takes it. (The
    // contract tests before this one issue without validating: theirs are closed first.)
    await expect.poll(() => connections.idleCount).toBe(1);

    emulator.control.clearRequests();
    expect(await provider.validate(ctx, first.credential)).toEqual({ ok: true });
    expect(connections.idleCount).toBe(0);
    expect(emulator.control.requests().some((r) => r.path.split('?')[0]!.endsWith(dataPath))).toBe(true);
    // The key consumers use now still works at the data plane.
    expect(await provider.validate(ctx, { value: original.key1, credentialId: 'key1' })).toEqual({
      ok: true,
    });
    // Resume: the issued key is retrievable without regenerating again.
    expect(await provider.retrieve?.(ctx, 'key2')).toEqual(first.credential);

    const v1 = store.seed(VAULT, 'app-key', {
      value: first.credential.value,
      tags: { CredentialId: 'key2' },
    });
    const second = await provider.issue(ctx, current(v1));
    if (second.kind !== 'issued') throw new Error('not issued');
    expect(second.credential.credentialId).toBe('key1');
    expect(await provider.validate(ctx, second.credential)).toEqual({ ok: true });
    expect(await provider.validate(ctx, first.credential)).toEqual({ ok: true });
    expect(await provider.validate(ctx, { value: original.key1, credentialId: 'key1' })).toMatchObject({
      ok: false,
      outcome: 'rejected',
    });
  });
});

describe('azure-cognitive-services through the SDK: failures', () => {
  it('revokes a leaked key: the old value stops working at the data plane', async () => {
    const { ctx, store } = context('oai-sdk');
    const keys = emulator.control.arm.cognitiveKeys(armId('oai-sdk'));
    const old = store.seed(VAULT, 'app-key', { value: keys.key1, tags: { CredentialId: 'key1' } });
    store.seed(VAULT, 'app-key', { value: keys.key2, tags: { CredentialId: 'key2' } });

    expect(await provider.revoke?.(ctx, { credentialId: 'key1', version: old.version })).toEqual({
      revoked: ['key1'],
      pendingHuman: [],
    });
    expect(await provider.validate(ctx, { value: keys.key1, credentialId: 'key1' })).toMatchObject({
      outcome: 'rejected',
    });
    expect(await provider.validate(ctx, { value: keys.key2, credentialId: 'key2' })).toEqual({ ok: true });
  });

  it('maps an unknown account to ResourceNotFound naming the ARM id', async () => {
    const { ctx } = context('no-such-account');
    const error = await rejection(provider.retrieve?.(ctx, 'key1'));
    expect(error.code).toBe('ResourceNotFound');
    expect(error.message).toContain(armId('no-such-account'));
  });

  it('maps 403 to PermissionDenied naming the role, and changes nothing', async () => {
    const { ctx, store } = context('oai-locked');
    const before = emulator.control.arm.cognitiveKeys(armId('oai-locked'));
    const v = store.seed(VAULT, 'app-key', { value: before.key1, tags: { CredentialId: 'key1' } });

    const error = await rejection(provider.issue(ctx, current(v)));

    expect(error.code).toBe('PermissionDenied');
    expect(error.message).toContain("'Cognitive Services Contributor'");
    expect(error.message).toContain(armId('oai-locked'));
    expect(emulator.control.arm.cognitiveKeys(armId('oai-locked'))).toEqual(before);
    expect(leaked(error, [before.key1, before.key2])).toEqual([]);
  });

  it('rides out a short 429/503 storm through the SDK retries', async () => {
    const { ctx } = context('oai-sdk');
    emulator.control.addFault({
      origin: 'arm',
      path: '/subscriptions/**/listKeys',
      fault: { kind: 'throttle', retryAfterMs: 10 },
      times: 1,
    });
    emulator.control.addFault({
      origin: 'arm',
      path: '/subscriptions/**/listKeys',
      fault: { kind: 'error', status: 503 },
      times: 1,
    });
    emulator.control.clearRequests();

    const retrieved = await provider.retrieve?.(ctx, 'key2');

    expect(retrieved?.value).toBe(emulator.control.arm.cognitiveKeys(armId('oai-sdk')).key2);
    expect(
      emulator.control.requests().filter((r) => r.path.split('?')[0]!.endsWith('/listKeys')),
    ).toHaveLength(3);
  });

  it('gives up on a persistent storm with a transient AzureUnavailable', async () => {
    const { ctx } = context('oai-sdk');
    emulator.control.addFault({ origin: 'arm', fault: { kind: 'error', status: 503 } });
    const error = await rejection(provider.retrieve?.(ctx, 'key1'));
    expect(error).toMatchObject({ code: 'AzureUnavailable', transient: true });
  });

  it('answers unavailable when the data plane is down (an outage is not proof of a bad key)', async () => {
    const { ctx } = context('oai-sdk');
    const { key1 } = emulator.control.arm.cognitiveKeys(armId('oai-sdk'));
    emulator.control.addFault({ origin: 'data', fault: { kind: 'throttle', retryAfterSeconds: 3 } });
    expect(await provider.validate(ctx, { value: key1, credentialId: 'key1' })).toMatchObject({
      ok: false,
      outcome: 'unavailable',
      retryAfterSeconds: 3,
    });
  });
});
