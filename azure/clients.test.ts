/**
 * The client factory: lazy SDK loading, local mode never touching `@azure/identity`, per-client TLS trust,
 * and no connection to anything but loopback.
 */
import dns from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningAzurite, startAzurite } from '../local/azurite.js';
import { type RunningEmulator, startEmulator } from '../local/emulator/index.js';
import { isRotationError } from '../rotation/errors.js';
import { createClientFactory } from './clients.js';
import { LOCAL_TOKEN } from './credential.js';
import { cloudEnvironment, isLoopbackHost, type LocalEnvironment, localEnvironment } from './endpoints.js';
import { createAzureAdapters } from './index.js';

/** Which modules our code imported, and every DefaultAzureCredential constructed. */
const seen = vi.hoisted(() => ({ modules: new Set<string>(), credentials: 0 }));

vi.mock('@azure/identity', () => {
  seen.modules.add('@azure/identity');
  return {
    DefaultAzureCredential: class {
      constructor() {
        seen.credentials += 1;
      }
      async getToken() {
        throw new Error('the fake DefaultAzureCredential must not be asked for a token in these tests');
      }
    },
  };
});
for (const name of [
  '@azure/keyvault-secrets',
  '@azure/arm-cognitiveservices',
  '@azure/arm-communication',
  '@azure/arm-appservice',
  '@azure/data-tables',
  '@azure/storage-blob',
  '@azure/storage-queue',
  '@azure/eventgrid',
]) {
  vi.doMock(name, async (importOriginal) => {
    seen.modules.add(name);
    return importOriginal();
  });
}

/** Every host a socket connected to or DNS resolved, while the guard is on. */
const contacted: string[] = [];
const originalConnect = net.Socket.prototype.connect;
const originalLookup = dns.lookup;

function installNetworkGuard(): void {
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    if (first && typeof first === 'object') {
      const o = first as { host?: string; path?: string };
      contacted.push(o.path ? `unix:${o.path}` : (o.host ?? 'localhost'));
    } else if (typeof first === 'number') {
      contacted.push(typeof args[1] === 'string' ? args[1] : 'localhost');
    }
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
  (dns as { lookup: unknown }).lookup = (hostname: string, ...rest: unknown[]) => {
    contacted.push(hostname);
    return (originalLookup as (...a: unknown[]) => unknown)(hostname, ...rest);
  };
}

function removeNetworkGuard(): void {
  net.Socket.prototype.connect = originalConnect;
  (dns as { lookup: unknown }).lookup = originalLookup;
}

let emulator: RunningEmulator;
let azurite: RunningAzurite;
let stateDir: string;
let env: LocalEnvironment;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'kv-clients-'));
  [emulator, azurite] = await Promise.all([
    startEmulator({ vaults: ['kvclients'], stateDir }),
    startAzurite(),
  ]);
  env = localEnvironment({
    caCert: emulator.caCert,
    vaultUrls: { KVClients: emulator.vaults[0]!.url },
    armEndpoint: emulator.armEndpoint,
    storageConnectionString: azurite.connectionString,
  });
  installNetworkGuard();
});

afterAll(async () => {
  removeNetworkGuard();
  await Promise.all([emulator?.stop(), azurite?.stop()]);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

/** Status of an SDK call that reached the server (an HTTP error still proves the round trip). */
async function statusOf(call: () => Promise<unknown>): Promise<number | 'ok'> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number') return status;
    throw error;
  }
}

describe('createClientFactory in local mode', () => {
  it('loads no SDK until a getter is first called, and never @azure/identity', async () => {
    const factory = createClientFactory(env, { timing: 'fast' });
    createAzureAdapters(factory);
    expect(seen.modules.size).toBe(0);
    await factory.credential();
    expect(seen.modules.size).toBe(0);
    await factory.tableClient('lazy');
    expect([...seen.modules]).toEqual(['@azure/data-tables']);
    expect(await factory.tableClient('lazy')).toBe(await factory.tableClient('lazy'));
  });

  it('builds every client, talks to loopback only, and never constructs DefaultAzureCredential', async () => {
    const factory = createClientFactory(env, { timing: 'fast' });
    const subscription = '00000000-0000-0000-0000-000000000000';
    await expect(
      (await factory.credential()).getToken('https://vault.azure.net/.default'),
    ).resolves.toMatchObject({
      token: LOCAL_TOKEN,
    });

    const secrets = await factory.secretClient('KVCLIENTS');
    await secrets.setSecret('probe', `v-${Date.now()}`);
    expect((await secrets.getSecret('probe')).name).toBe('probe');

    const cognitive = await factory.cognitiveServicesClient(subscription);
    expect(await statusOf(() => cognitive.accounts.get('rg', 'missing'))).toBe(404);
    const communication = await factory.communicationClient(subscription);
    expect(await statusOf(() => communication.communicationServices.get('rg', 'missing'))).toBe(404);
    const web = await factory.webSiteClient(subscription);
    expect(await statusOf(() => web.webApps.get('rg', 'missing'))).toBe(404);

    await (await factory.tableClient('probe')).createTable();
    await (await factory.blobContainer('probe')).createIfNotExists();
    await (await factory.queueClient('probe')).createIfNotExists();

    const publisher = await factory.eventGridPublisher(`${emulator.origin}/api/events`, 'k', 'EventGrid');
    expect(typeof (await statusOf(() => publisher.send([])))).toBe('number');

    expect(seen.modules.has('@azure/identity')).toBe(false);
    expect(seen.credentials).toBe(0);
    expect(contacted.length).toBeGreaterThan(0);
    expect(contacted.filter((host) => !isLoopbackHost(host))).toEqual([]);
  });

  it('trusts the emulator CA per client only, not process-wide', async () => {
    const error = await new Promise<Error>((resolve) => {
      https
        .get(`${emulator.armEndpoint}/`, () => resolve(new Error('unexpectedly trusted')))
        .on('error', resolve);
    });
    expect(error.message).toMatch(/self[- ]signed|unable to verify|certificate/i);
  });

  it('refuses an unknown vault and a non-loopback Event Grid endpoint', async () => {
    const factory = createClientFactory(env, { timing: 'fast' });
    const vault = await factory.secretClient('other').catch((e: unknown) => e);
    expect(isRotationError(vault, 'ResourceNotFound')).toBe(true);
    const topic = await factory
      .eventGridPublisher('https://topic.westeurope-1.eventgrid.azure.net/api/events', 'k', 'EventGrid')
      .catch((e: unknown) => e);
    expect(isRotationError(topic, 'ConfigInvalid')).toBe(true);
  });
});

describe('local environment checks', () => {
  it('rejects any non-loopback endpoint', () => {
    const base = {
      caCert: 'x',
      vaultUrls: { kv: 'https://127.0.0.1:4000' },
      armEndpoint: 'https://127.0.0.1:4001',
      storageConnectionString: 'UseDevelopmentStorage=true',
    };
    expect(() => localEnvironment(base)).not.toThrow();
    expect(() => localEnvironment({ ...base, vaultUrls: { kv: 'https://kv.vault.azure.net' } })).toThrow(
      /loopback/,
    );
    expect(() => localEnvironment({ ...base, armEndpoint: 'https://management.azure.com' })).toThrow(
      /loopback/,
    );
    expect(() =>
      localEnvironment({
        ...base,
        storageConnectionString: 'DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=eA==',
      }),
    ).toThrow(/loopback/);
  });
});

describe('createClientFactory in azure mode', () => {
  it('constructs DefaultAzureCredential lazily, once, only when a client needs it', async () => {
    const before = seen.credentials;
    const factory = createClientFactory(
      cloudEnvironment({ vaults: [{ name: 'prod-kv' }], storageAccountName: 'prodstore' }),
      { timing: 'fast' },
    );
    expect(factory.env.vaultUrls).toEqual({ 'prod-kv': 'https://prod-kv.vault.azure.net' });
    expect(seen.credentials).toBe(before);
    await factory.secretClient('prod-kv');
    await factory.queueClient('rotation-runs');
    expect(seen.modules.has('@azure/identity')).toBe(true);
    expect(seen.credentials).toBe(before + 1);
  });

  it('validates the Azure settings', () => {
    expect(() => cloudEnvironment({ vaults: [{ name: 'kv' }] })).toThrow(/invalid/);
    expect(() =>
      cloudEnvironment({
        vaults: [{ name: 'kv', url: 'https://kv.vault.azure.net/some/path' }],
        storageAccountName: 'a1b',
      }),
    ).toThrow(/invalid/);
  });
});
