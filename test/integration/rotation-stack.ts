/**
 * The whole rotator in one test process: Azurite, the emulator, the composition root (fast timing, the
 * emulator's clock) and the local Functions host serving `keyVaultEvents`, `rotationWorker` and
 * `poisonRuns`. Real SDK clients everywhere; nothing leaves 127.0.0.1.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SecretClient, SecretProperties } from '@azure/keyvault-secrets';
import { localEnvironment } from '../../azure/index.js';
import type { RotatorApp } from '../../composition/app.js';
import { followClock } from '../../composition/clock.js';
import { createJsonLogger } from '../../composition/logger.js';
import { createRotatorApp } from '../../composition/root.js';
import { keyVaultEventsFunction } from '../../functions/keyVaultEvents.js';
import { poisonRunsFunction } from '../../functions/poisonRuns.js';
import { rotationWorkerFunction } from '../../functions/rotationWorker.js';
import { type RunningAzurite, startAzurite } from '../../local/azurite.js';
import { type ResourceDeclaration, type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import { emulatorSecretClient } from '../../local/emulator/testing.js';
import { type RunningLocalHost, startLocalHost } from '../../local/host/index.js';
import { createRunIdentity, FINAL_STATUSES } from '../../rotation/engine/index.js';
import type { RunRecord } from '../../rotation/ports.js';
import { loadSettings } from '../../rotation/settings.js';

export const SUB = '00000000-0000-0000-0000-000000000000';
export const RG = 'rg-rotator-demo';
export const VAULT = 'kv-rotator-demo';
export const armId = (type: string, name: string) =>
  `/subscriptions/${SUB}/resourceGroups/${RG}/providers/${type}/${name}`;
export const accountId = (name: string) => armId('Microsoft.CognitiveServices/accounts', name);
export const acsId = (name: string) => armId('Microsoft.Communication/communicationServices', name);
export const siteId = (name: string) => armId('Microsoft.Web/sites', name);

export interface StackOptions {
  vaults?: string[];
  resources?: ResourceDeclaration[];
  /** `rotation.json` content (inline). */
  config: object;
  /** Extra app settings (strings, as the environment holds them). */
  settings?: Record<string, string>;
}

export interface RotationStack {
  azurite: RunningAzurite;
  emulator: RunningEmulator;
  host: RunningLocalHost;
  app: RotatorApp;
  functionKey: string;
  /** Every JSON line the app and the host logged. */
  logLines: string[];
  secrets(vault?: string): SecretClient;
  /** POSTs an Event Grid delivery (array) or a CloudEvent to the webhook; returns the HTTP status. */
  deliver(body: unknown, options?: { cloudEvents?: boolean }): Promise<number>;
  /** The webhook URL with the function key, for `control.subscribe`. */
  webhookUrl(): string;
  runId(secretGroup: string, version: string, vault?: string): string;
  /** Polls the journal until the run reached a final status (or `until` holds). */
  waitForRun(runId: string, until?: (run: RunRecord) => boolean, timeoutMs?: number): Promise<RunRecord>;
  stop(): Promise<void>;
}

export async function startRotationStack(options: StackOptions): Promise<RotationStack> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'rotation-it-'));
  const vaults = options.vaults ?? [VAULT];
  const logLines: string[] = [];
  const log = createJsonLogger({ write: (line) => logLines.push(line) });
  const azurite = await startAzurite();
  const emulator = await startEmulator({
    vaults,
    stateDir,
    resources: options.resources ?? [],
    eventDelivery: { retryDelayMs: 20, maxRetryDelayMs: 200, maxAttempts: 4, timeoutMs: 10_000 },
  });
  const env = localEnvironment({
    caCert: emulator.caCert,
    vaultUrls: Object.fromEntries(emulator.vaults.map((v) => [v.name, v.url])),
    armEndpoint: emulator.armEndpoint,
    storageConnectionString: azurite.connectionString,
  });
  const settings = loadSettings({
    AzureWebJobsStorage: azurite.connectionString,
    ROTATION_CONFIG: JSON.stringify(options.config),
    VALIDATION_TIMEOUT_SECONDS: '2',
    LOCAL_STATE_DIR: stateDir,
    ...options.settings,
  });
  const app = await createRotatorApp({
    settings,
    env,
    clock: followClock(emulator.clock),
    log,
    timing: 'fast',
  });
  const getApp = () => Promise.resolve(app);
  const functionKey = randomBytes(24).toString('base64url');
  const host = await startLocalHost({
    definitions: [keyVaultEventsFunction(getApp), rotationWorkerFunction(getApp), poisonRunsFunction(getApp)],
    port: 0,
    functionKey,
    storageConnectionString: azurite.connectionString,
    settings: {},
    logger: log,
    clock: emulator.clock,
    timing: { queuePollMinMs: 20, queuePollMaxMs: 100, visibilityTimeoutSeconds: 1, drainTimeoutMs: 5_000 },
  });

  const clients = new Map<string, SecretClient>();
  const webhook = `${host.url}/runtime/webhooks/eventgrid?functionName=keyVaultEvents`;
  return {
    azurite,
    emulator,
    host,
    app,
    functionKey,
    logLines,
    secrets(vault = VAULT) {
      let client = clients.get(vault);
      if (!client) {
        const url = emulator.vaults.find((v) => v.name === vault)?.url;
        if (!url) throw new Error(`no vault ${vault}`);
        client = emulatorSecretClient(url, emulator.caCert, { retryOptions: { maxRetries: 0 } });
        clients.set(vault, client);
      }
      return client;
    },
    async deliver(body, { cloudEvents = false } = {}) {
      const response = await fetch(webhook, {
        method: 'POST',
        headers: {
          'content-type': cloudEvents ? 'application/cloudevents+json' : 'application/json',
          'aeg-event-type': 'Notification',
          'x-functions-key': functionKey,
        },
        body: JSON.stringify(body),
      });
      await response.arrayBuffer();
      return response.status;
    },
    webhookUrl: () => `${webhook}&code=${encodeURIComponent(functionKey)}`,
    runId: (group, version, vault = VAULT) => createRunIdentity(vault, group, version.toLowerCase()),
    async waitForRun(runId, until = (run) => FINAL_STATUSES.has(run.status), timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last: RunRecord | undefined;
      while (Date.now() < deadline) {
        last = (await app.engine.journal.get(runId))?.run;
        if (last && until(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`run ${runId} did not get there in time (last status: ${last?.status ?? 'none'})`);
    },
    async stop() {
      await host?.stop();
      await emulator?.stop();
      await azurite?.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** A Key Vault event exactly as Key Vault publishes it in the Event Grid schema. */
export function keyVaultEvent(
  type: 'SecretNearExpiry' | 'SecretExpired' | 'SecretNewVersionCreated',
  secret: { name: string; version: string; expiresOn?: Date | undefined },
  vault = VAULT,
) {
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

/** The same event as a CloudEvents 1.0 event. */
export function asCloudEvent(event: ReturnType<typeof keyVaultEvent>) {
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

/** A random value that looks like nothing real (test credentials are generated at run time). */
export function randomValue(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Versions of a secret, oldest first, with tags and dates (values not read). Key Vault keeps whole seconds,
 * and a rotation can finish within the second its secret was seeded: on a tie, a version the rotator
 * did not write (no `RotatedBy` tag) comes first.
 */
export async function versionsOf(client: SecretClient, name: string) {
  const versions: SecretProperties[] = [];
  for await (const v of client.listPropertiesOfSecretVersions(name)) versions.push(v);
  const byRotator = (v: SecretProperties) => (v.tags?.RotatedBy === undefined ? 0 : 1);
  return versions.sort(
    (a, b) => (a.createdOn?.getTime() ?? 0) - (b.createdOn?.getTime() ?? 0) || byRotator(a) - byRotator(b),
  );
}
