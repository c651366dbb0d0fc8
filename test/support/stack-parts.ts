/**
 * Parts both whole-rotator test stacks share (the integration `rotation-stack` and the reliability stack):
 * ARM ids, the emulator's fast event delivery, the local environment over a running emulator, cached
 * secret clients, test values, and Key Vault events as Key Vault publishes them. Each stack keeps its own
 * resource group and default vault and passes them in.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { SecretClient } from '@azure/keyvault-secrets';
import { type LocalEnvironment, localEnvironment } from '../../azure/index.js';
import type { RunningEmulator } from '../../local/emulator/index.js';
import { emulatorSecretClient } from '../../local/emulator/testing.js';

export const SUB = '00000000-0000-0000-0000-000000000000';

/** ARM id builders for one resource group of `SUB`. */
export function armIds(resourceGroup: string) {
  const armId = (type: string, name: string) =>
    `/subscriptions/${SUB}/resourceGroups/${resourceGroup}/providers/${type}/${name}`;
  return {
    armId,
    accountId: (name: string) => armId('Microsoft.CognitiveServices/accounts', name),
    acsId: (name: string) => armId('Microsoft.Communication/communicationServices', name),
    siteId: (name: string) => armId('Microsoft.Web/sites', name),
  };
}

/** Event Grid delivery from the emulator, retried fast so a test sees redelivery within seconds. */
export const FAST_EVENT_DELIVERY = {
  retryDelayMs: 20,
  maxRetryDelayMs: 200,
  maxAttempts: 4,
  timeoutMs: 10_000,
};

/** The local environment over a running emulator, with storage at `storageConnectionString`. */
export function emulatorEnvironment(
  emulator: RunningEmulator,
  storageConnectionString: string,
): LocalEnvironment {
  return localEnvironment({
    caCert: emulator.caCert,
    vaultUrls: Object.fromEntries(emulator.vaults.map((v) => [v.name, v.url])),
    armEndpoint: emulator.armEndpoint,
    storageConnectionString,
  });
}

/** One secret client per vault of the emulator (no retries), made on first use; `defaultVault` when none named. */
/**
 * The tests' own Key Vault clients, one per vault. They do not retry by default (a test sees what Key Vault
 * answered). `observerRetries` gives them the SDK's retry (twice, fast): for observers that read only while
 * no fault is injected, so a dropped connection is retried instead of failing the test on a closed socket.
 */
export function secretClients(
  emulator: RunningEmulator,
  defaultVault: string,
  options: { observerRetries?: boolean } = {},
): (vault?: string) => SecretClient {
  const retryOptions = options.observerRetries
    ? { maxRetries: 2, retryDelayInMs: 20, maxRetryDelayInMs: 100 }
    : { maxRetries: 0 };
  const clients = new Map<string, SecretClient>();
  return (vault = defaultVault) => {
    let client = clients.get(vault);
    if (!client) {
      const url = emulator.vaults.find((v) => v.name === vault)?.url;
      if (!url) throw new Error(`no vault ${vault}`);
      client = emulatorSecretClient(url, emulator.caCert, { retryOptions });
      clients.set(vault, client);
    }
    return client;
  };
}

/** A random value that looks like nothing real (test credentials are generated at run time). */
export function randomValue(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export type KeyVaultEventType = 'SecretNearExpiry' | 'SecretExpired' | 'SecretNewVersionCreated';
export interface KeyVaultEventSecret {
  name: string;
  version: string;
  expiresOn?: Date | undefined;
}

/** A Key Vault event exactly as Key Vault publishes it in the Event Grid schema. */
export function keyVaultEventIn(vault: string, type: KeyVaultEventType, secret: KeyVaultEventSecret) {
  return {
    id: randomUUID(),
    topic: `/subscriptions/${SUB}/resourceGroups/rotator-local/providers/Microsoft.KeyVault/vaults/${vault}`,
    subject: secret.name,
    eventType: `Microsoft.KeyVault.${type}`,
    eventTime: new Date().toISOString(),
    data: {
      Id: `https://${vault}.vault.azure.net/secrets/${secret.name}/${secret.version}`,
      VaultName: vault,
      ObjectType: 'Secret',
      ObjectName: secret.name,
      Version: secret.version,
      NBF: null,
      EXP: secret.expiresOn ? String(Math.floor(secret.expiresOn.getTime() / 1000)) : null,
    },
    dataVersion: '1',
    metadataVersion: '1',
  };
}

export type KeyVaultEvent = ReturnType<typeof keyVaultEventIn>;

/** The same event as a CloudEvents 1.0 event. */
export function asCloudEvent(event: KeyVaultEvent) {
  return {
    specversion: '1.0',
    id: event.id,
    source: event.topic,
    subject: event.subject,
    type: event.eventType,
    time: event.eventTime,
    data: event.data,
  };
}
