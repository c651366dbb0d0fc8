/**
 * The whole rotator in one test process: Azurite, the emulator, the composition root (fast timing, the
 * emulator's clock) and the local Functions host serving `keyVaultEvents`, `rotationWorker` and
 * `poisonRuns`. Real SDK clients everywhere; nothing leaves 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SecretClient, SecretProperties } from '@azure/keyvault-secrets';
import type { RotatorApp } from '../../composition/app.js';
import { followClock } from '../../composition/clock.js';
import { createJsonLogger } from '../../composition/logger.js';
import { createRotatorApp } from '../../composition/root.js';
import { keyVaultEventsFunction } from '../../functions/keyVaultEvents.js';
import { poisonRunsFunction } from '../../functions/poisonRuns.js';
import { rotationWorkerFunction } from '../../functions/rotationWorker.js';
import { type RunningAzurite, startAzurite } from '../../local/azurite.js';
import { type ResourceDeclaration, type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import { type RunningLocalHost, startLocalHost } from '../../local/host/index.js';
import { createRunIdentity, FINAL_STATUSES } from '../../rotation/engine/index.js';
import type { RunRecord } from '../../rotation/ports.js';
import { loadSettings } from '../../rotation/settings.js';
import {
  armIds,
  emulatorEnvironment,
  FAST_EVENT_DELIVERY,
  type KeyVaultEventSecret,
  type KeyVaultEventType,
  keyVaultEventIn,
  secretClients,
} from '../support/stack-parts.js';

export { asCloudEvent, randomValue, SUB } from '../support/stack-parts.js';

export const RG = 'rg-rotator-demo';
export const VAULT = 'kv-rotator-demo';
export const { armId, accountId, acsId, siteId } = armIds(RG);

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
    eventDelivery: FAST_EVENT_DELIVERY,
  });
  const env = emulatorEnvironment(emulator, azurite.connectionString);
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

  const webhook = `${host.url}/runtime/webhooks/eventgrid?functionName=keyVaultEvents`;
  return {
    azurite,
    emulator,
    host,
    app,
    functionKey,
    logLines,
    secrets: secretClients(emulator, VAULT),
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

/** A Key Vault event exactly as Key Vault publishes it in the Event Grid schema (default vault: `VAULT`). */
export function keyVaultEvent(type: KeyVaultEventType, secret: KeyVaultEventSecret, vault = VAULT) {
  return keyVaultEventIn(vault, type, secret);
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
