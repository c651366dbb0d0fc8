/**
 * The Communication provider through the real `@azure/arm-communication` client (built by the azure/ client
 * factory) against the local emulator's ARM and its HMAC-verifying ACS data plane.
 */
import { randomBytes } from 'node:crypto';
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
import { acsConnectionString, parseAcsConnectionString } from '../shared/acs-hmac.js';
import { leaked, makeContext, VAULT } from '../shared/testing.js';
import { WarmConnections } from '../shared/warm-connections.js';
import { createCommunicationProvider } from './adapter.js';
import { communicationKeysClients } from './client.js';
import { type CommunicationSettings, communicationSettingsSchema } from './settings.js';

const SUB = '1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809';
const armId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-comms/providers/Microsoft.Communication/communicationServices/${name}`;

let stateDir = '';
let emulator: RunningEmulator;
let factory: ClientFactory;
/** Connections opened while a key is regenerated, for the validation call after it. */
const connections = new WarmConnections();
let provider: CredentialProvider<CommunicationSettings>;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'acs-sdk-'));
  const base = {
    type: 'Microsoft.Communication/communicationServices',
    subscriptionId: SUB,
    resourceGroup: 'rg-comms',
  } as const;
  emulator = await startEmulator({
    vaults: [],
    stateDir,
    resources: [
      { ...base, name: 'acs-cs' },
      { ...base, name: 'acs-key' },
      { ...base, name: 'acs-contract' },
      { ...base, name: 'acs-locked', forbidden: ['listKeys', 'regenerateKey'] },
    ],
  });
  const env = localEnvironment({
    caCert: emulator.caCert,
    vaultUrls: {},
    armEndpoint: emulator.armEndpoint,
    storageConnectionString: 'UseDevelopmentStorage=true',
  });
  factory = createClientFactory(env, { timing: 'fast' });
  provider = createCommunicationProvider({
    keysClient: communicationKeysClients(factory),
    dataPlane: { ca: emulator.caCert, timeoutMs: 5_000, connections },
  });
});

afterAll(async () => {
  connections.close();
  await emulator?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

afterEach(() => emulator.control.clearFaults());

function context(name: string, holds: 'key' | 'connectionString') {
  return makeContext(
    'azure-communication',
    communicationSettingsSchema.parse({ resourceId: armId(name), holds }),
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
  'azure-communication (SDK against the emulator)',
  { mode: 'automatic', retrieve: true, revoke: true },
  (world) => {
    // Requests are signed with the context clock; the emulator rejects dates 15 minutes off its own.
    world.clock.set(emulator.control.now());
    return {
      provider,
      settings: { resourceId: armId('acs-contract') },
      seed: (w, group) => {
        const keys = emulator.control.arm.communicationKeys(armId('acs-contract'));
        for (const secret of group.secrets) {
          w.store.seed(group.vault, secret.name, {
            value: keys.primaryConnectionString,
            tags: { CredentialId: 'Primary' },
          });
        }
      },
      isLive: async (_w, _group, credential) =>
        emulator.control.dataPlanes.isValid('azure-communication', armId('acs-contract'), credential.value),
      // A connection string whose key the resource never had (changing one base64 character may decode the same).
      spoil: (credential) => {
        const parsed = parseAcsConnectionString(credential.value);
        if (!parsed) throw new Error('expected a connection string');
        return {
          ...credential,
          value: acsConnectionString(parsed.endpoint, randomBytes(64).toString('base64')),
        };
      },
    };
  },
);

describe('azure-communication through the SDK', () => {
  it('rotates connection strings by alternation, validated with HMAC-signed calls', async () => {
    const { ctx, store } = context('acs-cs', 'connectionString');
    const original = emulator.control.arm.communicationKeys(armId('acs-cs'));
    // No CredentialId tag: the provider identifies Primary from the value.
    const v0 = store.seed(VAULT, 'app-key', { value: original.primaryConnectionString });

    connections.close();
    const first = await provider.issue(ctx, current(v0));
    if (first.kind !== 'issued') throw new Error('not issued');
    const afterFirst = emulator.control.arm.communicationKeys(armId('acs-cs'));
    expect(first.credential).toEqual({
      value: afterFirst.secondaryConnectionString,
      credentialId: 'Secondary',
      providerAddress: armId('acs-cs'),
    });
    expect(afterFirst.primaryKey).toBe(original.primaryKey);
    // The data plane's connection was opened while the key was regenerated; validation takes it. (The
    // contract tests before this one issue without validating: theirs are closed first.)
    await expect.poll(() => connections.idleCount).toBe(1);

    expect(await provider.validate(ctx, first.credential)).toEqual({ ok: true });
    expect(connections.idleCount).toBe(0);
    expect(
      await provider.validate(ctx, { value: original.primaryConnectionString, credentialId: 'Primary' }),
    ).toEqual({ ok: true });
    expect(await provider.retrieve?.(ctx, 'Secondary')).toEqual(first.credential);

    const v1 = store.seed(VAULT, 'app-key', {
      value: first.credential.value,
      tags: { CredentialId: 'Secondary' },
    });
    const second = await provider.issue(ctx, current(v1));
    if (second.kind !== 'issued') throw new Error('not issued');
    expect(second.credential.credentialId).toBe('Primary');
    expect(await provider.validate(ctx, second.credential)).toEqual({ ok: true });
    expect(
      await provider.validate(ctx, { value: original.primaryConnectionString, credentialId: 'Primary' }),
    ).toMatchObject({ ok: false, outcome: 'rejected' });
  });

  it('rotates bare keys, finding the data plane from the ARM hostName', async () => {
    const { ctx, store } = context('acs-key', 'key');
    const original = emulator.control.arm.communicationKeys(armId('acs-key'));
    const v0 = store.seed(VAULT, 'app-key', {
      value: original.secondaryKey,
      tags: { CredentialId: 'secondary' },
    });

    connections.close();
    const issued = await provider.issue(ctx, current(v0));
    if (issued.kind !== 'issued') throw new Error('not issued');

    const now = emulator.control.arm.communicationKeys(armId('acs-key'));
    expect(issued.credential).toMatchObject({ value: now.primaryKey, credentialId: 'Primary' });
    expect(now.secondaryKey).toBe(original.secondaryKey);
    // A bare key carries no endpoint: the connection went to ARM's hostName, where validation calls.
    await expect.poll(() => connections.idleCount).toBe(1);
    expect(await provider.validate(ctx, issued.credential)).toEqual({ ok: true });
    expect(connections.idleCount).toBe(0);
    expect(
      await provider.validate(ctx, { value: original.primaryKey, credentialId: 'Primary' }),
    ).toMatchObject({
      outcome: 'rejected',
    });
  });

  it('revokes a leaked key so its value stops working', async () => {
    const { ctx, store } = context('acs-cs', 'connectionString');
    const keys = emulator.control.arm.communicationKeys(armId('acs-cs'));
    const old = store.seed(VAULT, 'app-key', { value: keys.primaryConnectionString });
    store.seed(VAULT, 'app-key', { value: keys.secondaryConnectionString });

    expect(await provider.revoke?.(ctx, { credentialId: undefined, version: old.version })).toEqual({
      revoked: ['Primary'],
      pendingHuman: [],
    });
    expect(
      await provider.validate(ctx, { value: keys.primaryConnectionString, credentialId: 'Primary' }),
    ).toMatchObject({ outcome: 'rejected' });
  });

  it('maps 403 to PermissionDenied naming the role and 404 to ResourceNotFound', async () => {
    const locked = context('acs-locked', 'connectionString');
    const denied = await rejection(provider.retrieve?.(locked.ctx, 'Primary'));
    expect(denied.code).toBe('PermissionDenied');
    expect(denied.message).toContain("'Contributor'");
    expect(denied.message).toContain('Microsoft.Communication/communicationServices/regenerateKey/action');
    const keys = emulator.control.arm.communicationKeys(armId('acs-locked'));
    expect(leaked(denied, [keys.primaryKey, keys.secondaryKey])).toEqual([]);

    const missing = await rejection(provider.retrieve?.(context('acs-gone', 'key').ctx, 'Primary'));
    expect(missing.code).toBe('ResourceNotFound');
    expect(missing.message).toContain(armId('acs-gone'));
  });

  it('rides out a short storm on regenerateKey and gives up on a persistent one', async () => {
    const { ctx, store } = context('acs-cs', 'connectionString');
    const keys = emulator.control.arm.communicationKeys(armId('acs-cs'));
    const v = store.seed(VAULT, 'app-key', { value: keys.primaryConnectionString });
    emulator.control.addFault({
      origin: 'arm',
      path: '/subscriptions/**/regenerateKey',
      fault: { kind: 'throttle', retryAfterMs: 10 },
      times: 2,
    });
    const issued = await provider.issue(ctx, current(v));
    expect(issued).toMatchObject({ kind: 'issued', credential: { credentialId: 'Secondary' } });

    emulator.control.addFault({ origin: 'arm', fault: { kind: 'error', status: 500 } });
    const error = await rejection(provider.issue(ctx, current(v)));
    expect(error).toMatchObject({ code: 'AzureUnavailable', transient: true });
  });
});
