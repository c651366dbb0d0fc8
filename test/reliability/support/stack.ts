/**
 * The rotator under test for the reliability suite, everything real and on 127.0.0.1: Azurite behind the
 * storage fault proxy, the emulator with the invariant checker over every managed secret, the composition
 * root (fast timing, the emulator's clock), a front host serving every function but the worker, and a
 * worker host the test starts and stops (so a fault can be in place before a run starts). Alerts go to a
 * local receiver that keeps their bodies; every log line, HTTP answer and alert is kept for the canary scan.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import type { SecretClient } from '@azure/keyvault-secrets';
import { BlobServiceClient } from '@azure/storage-blob';
import type { RotatorApp } from '../../../composition/app.js';
import { followClock } from '../../../composition/clock.js';
import { resetRotatorApp, setRotatorApp } from '../../../composition/instance.js';
import { createJsonLogger } from '../../../composition/logger.js';
import { createRotatorApp, FAST_ENGINE_TIMING } from '../../../composition/root.js';
import { type Receiver, startReceiver } from '../../../consumers/testing/receiver.js';
import { functionDefinitions } from '../../../functions/definitions.js';
import { rotationWorkerFunction } from '../../../functions/rotationWorker.js';
import { type RunningAzurite, startAzurite } from '../../../local/azurite.js';
import {
  type ResourceDeclaration,
  type RunningEmulator,
  startEmulator,
} from '../../../local/emulator/index.js';
import type { InvariantChecker } from '../../../local/emulator/invariants/index.js';
import { type RunningFaultProxy, startFaultProxy } from '../../../local/fault-proxy/index.js';
import { type LocalHostTiming, type RunningLocalHost, startLocalHost } from '../../../local/host/index.js';
import { ALERT_KINDS, type ResolvedConfig } from '../../../rotation/config/index.js';
import { createRunIdentity, type EngineTiming, FINAL_STATUSES } from '../../../rotation/engine/index.js';
import type { RunRecord } from '../../../rotation/ports.js';
import { loadSettings } from '../../../rotation/settings.js';
import {
  armIds,
  emulatorEnvironment,
  FAST_EVENT_DELIVERY,
  type KeyVaultEventSecret,
  type KeyVaultEventType,
  keyVaultEventIn,
  secretClients,
} from '../../support/stack-parts.js';

export { asCloudEvent, randomValue, SUB } from '../../support/stack-parts.js';

export const RG = 'rg-reliability';
export const VAULT = 'kv-reliability';
export const ALERT_PATH = '/alerts/ops';
export const { armId, accountId, siteId } = armIds(RG);

export interface ReliabilityStackOptions {
  vaults?: string[];
  resources?: ResourceDeclaration[];
  /** `rotation.json` without channels: an `ops` Slack channel receiving every alert kind is added. */
  config: Record<string, unknown>;
  settings?: Record<string, string>;
  /** Engine timing on top of `FAST_ENGINE_TIMING`. */
  timing?: Partial<EngineTiming>;
  /** Start the in-process worker host now (default true). */
  worker?: boolean;
}

/** A credential group of the reliability suites: one Azure OpenAI account, its secrets, the site they restart. */
export interface KeyPairGroup {
  account: string;
  site: string;
  secrets: readonly string[];
}

/**
 * The resources and `rotation.json` for key-pair groups: each group's secrets hold its account's key and
 * restart its site.
 */
export function keyPairGroupsSpec(
  groups: readonly KeyPairGroup[],
): Pick<ReliabilityStackOptions, 'resources' | 'config'> {
  return {
    resources: groups.flatMap((g) => [
      { type: 'Microsoft.CognitiveServices/accounts' as const, resourceGroup: RG, name: g.account },
      { type: 'Microsoft.Web/sites' as const, resourceGroup: RG, name: g.site },
    ]),
    config: {
      vaults: [{ name: VAULT }],
      consumers: Object.fromEntries(
        groups.map((g) => [g.site, { type: 'app-service', resourceId: siteId(g.site) }]),
      ),
      secrets: Object.fromEntries(
        groups.flatMap((g) =>
          g.secrets.map((name) => [
            name,
            {
              provider: 'azure-cognitive-services',
              settings: { resourceId: accountId(g.account) },
              consumers: [g.site],
            },
          ]),
        ),
      ),
    },
  };
}

/** Key Vault as before any rotation: every secret of a group holds its account's key1 (`CredentialId` key1). */
export async function seedKeyPairGroups(
  stack: ReliabilityStack,
  groups: readonly KeyPairGroup[],
): Promise<void> {
  for (const g of groups) {
    const { key1 } = stack.emulator.control.arm.cognitiveKeys(accountId(g.account));
    for (const name of g.secrets)
      await stack.secrets().setSecret(name, key1, { tags: { CredentialId: 'key1' } });
  }
}

export interface WorkerProcessSpec {
  storageConnectionString: string;
  vaultUrls: Record<string, string>;
  armEndpoint: string;
  caCertFile: string;
  /** `ROTATION_CONFIG` (inline JSON, channels included). */
  rotationConfig: string;
  /** Engine timing on top of `FAST_ENGINE_TIMING`. */
  timing: Partial<EngineTiming>;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

export interface ApiRequest {
  method?: string;
  /** JSON-encoded unless a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The function key to present (`false`: none). Default: the right one, as `x-functions-key`. */
  key?: string | false;
}

export interface ReliabilityStack {
  azurite: RunningAzurite;
  proxy: RunningFaultProxy;
  emulator: RunningEmulator;
  invariants: InvariantChecker;
  app: RotatorApp;
  front: RunningLocalHost;
  alerts: Receiver;
  functionKey: string;
  /** Every JSON line the app and both hosts logged. */
  logLines: string[];
  /** Every HTTP answer body the tests received from the host. */
  answers: string[];
  /** What another process needs to run this rotator (a child worker): endpoints, CA, config. */
  processSpec: WorkerProcessSpec;
  startWorker(timing?: Partial<LocalHostTiming>): Promise<void>;
  stopWorker(): Promise<void>;
  /** One request to the front host (path under its origin, e.g. `/api/reports/inventory`). */
  api(pathAndQuery: string, request?: ApiRequest): Promise<HttpAnswer>;
  /** POSTs a Key Vault event delivery (Event Grid array, or a CloudEvent) to `keyVaultEvents`. */
  deliver(body: unknown, options?: { cloudEvents?: boolean }): Promise<HttpAnswer>;
  secrets(vault?: string): SecretClient;
  runId(group: string, version: string, vault?: string): string;
  run(id: string): Promise<RunRecord | undefined>;
  waitForRun(id: string, until?: (run: RunRecord) => boolean, timeoutMs?: number): Promise<RunRecord>;
  /** Every journal row as stored (all properties), straight from Azurite. */
  journalRows(): Promise<Record<string, unknown>[]>;
  /** Every run in the journal by id, in one query straight from Azurite (cheap to poll for many runs). */
  runs(): Promise<Map<string, RunRecord>>;
  /** Breaks every held lease in `rotation-locks` (a dead worker's leases), straight on Azurite. */
  breakLeases(): Promise<number>;
  /** Messages waiting in a queue (straight from Azurite; peeks, never dequeues). */
  queueDepth(queue?: string): Promise<number>;
  stop(): Promise<void>;
}

const HOST_TIMING: Partial<LocalHostTiming> = {
  queuePollMinMs: 20,
  queuePollMaxMs: 100,
  visibilityTimeoutSeconds: 1,
  messageLeaseSeconds: 2,
  drainTimeoutMs: 10_000,
};

/** Far from any date a test reaches: the sweep runs only when a test invokes it. */
const SWEEP_NEVER = '0 0 0 1 1 *';

export async function startReliabilityStack(options: ReliabilityStackOptions): Promise<ReliabilityStack> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'reliability-'));
  const vaults = options.vaults ?? [VAULT];
  const logLines: string[] = [];
  const answers: string[] = [];
  const log = createJsonLogger({ write: (line) => logLines.push(line) });
  const stops: (() => Promise<void>)[] = [async () => rmSync(stateDir, { recursive: true, force: true })];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const azurite = await startAzurite();
    stops.push(() => azurite.stop());
    const proxy = await startFaultProxy(azurite);
    stops.push(() => proxy.stop());
    const alerts = await startReceiver();
    stops.push(() => alerts.close());

    let config: ResolvedConfig | undefined;
    const emulator = await startEmulator({
      vaults,
      stateDir,
      resources: options.resources ?? [],
      eventDelivery: FAST_EVENT_DELIVERY,
      invariants: {
        managed: (vault, name) => {
          const secret = config?.findSecret(vault, name);
          if (!secret) return undefined;
          const resource = secret.settings.resourceId;
          return {
            kind: secret.provider,
            ...(typeof resource === 'string' ? { resource } : {}),
            ...(secret.part === undefined ? {} : { part: secret.part }),
          };
        },
      },
    });
    stops.push(() => emulator.stop());
    const env = emulatorEnvironment(emulator, proxy.connectionString);
    const rotationConfig = {
      ...options.config,
      channels: { ops: { type: 'slack', url: alerts.url(ALERT_PATH), events: ALL_ALERT_KINDS } },
    };
    const settings = loadSettings({
      AzureWebJobsStorage: proxy.connectionString,
      ROTATION_CONFIG: JSON.stringify(rotationConfig),
      VALIDATION_TIMEOUT_SECONDS: '2',
      HTTP_WAIT_SECONDS: '10',
      SWEEP_SCHEDULE: SWEEP_NEVER,
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
    app.engine.timing = { ...FAST_ENGINE_TIMING, ...options.timing };
    config = app.config;
    setRotatorApp(app);
    stops.push(async () => resetRotatorApp());

    const functionKey = randomBytes(24).toString('base64url');
    const hostOptions = {
      port: 0,
      functionKey,
      storageConnectionString: proxy.connectionString,
      settings: { SWEEP_SCHEDULE: SWEEP_NEVER },
      logger: log,
      clock: emulator.clock,
    };
    const front = await startLocalHost({
      ...hostOptions,
      definitions: functionDefinitions.filter((d) => d.name !== 'rotationWorker'),
      timing: HOST_TIMING,
    });
    stops.push(() => front.stop());

    let worker: RunningLocalHost | undefined;
    const stopWorker = async () => {
      const running = worker;
      worker = undefined;
      await running?.stop();
    };
    stops.push(stopWorker);
    const startWorker = async (timing: Partial<LocalHostTiming> = {}) => {
      if (worker) return;
      worker = await startLocalHost({
        ...hostOptions,
        definitions: [rotationWorkerFunction(() => Promise.resolve(app))],
        timing: { ...HOST_TIMING, ...timing },
      });
    };
    if (options.worker !== false) await startWorker();

    const api = async (pathAndQuery: string, request: ApiRequest = {}): Promise<HttpAnswer> => {
      const headers: Record<string, string> = { ...request.headers };
      if (request.key !== false) headers['x-functions-key'] = request.key ?? functionKey;
      let body: string | undefined;
      if (request.body !== undefined) {
        body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${front.url}${pathAndQuery}`, {
        method: request.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const text = await response.text();
      answers.push(text);
      return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
    };
    const table = TableClient.fromConnectionString(azurite.connectionString, 'rotationruns', {
      allowInsecureConnection: true,
    });

    return {
      azurite,
      proxy,
      emulator,
      invariants: emulator.invariants!,
      app,
      front,
      alerts,
      functionKey,
      logLines,
      answers,
      processSpec: {
        storageConnectionString: proxy.connectionString,
        vaultUrls: env.vaultUrls,
        armEndpoint: emulator.armEndpoint,
        caCertFile: emulator.caCertFile,
        rotationConfig: JSON.stringify(rotationConfig),
        timing: options.timing ?? {},
      },
      startWorker,
      stopWorker,
      api,
      deliver: (body, { cloudEvents = false } = {}) =>
        api('/runtime/webhooks/eventgrid?functionName=keyVaultEvents', {
          body,
          headers: {
            'content-type': cloudEvents ? 'application/cloudevents+json' : 'application/json',
            'aeg-event-type': 'Notification',
          },
        }),
      secrets: secretClients(emulator, VAULT, { observerRetries: true }),
      runId: (group, version, vault = VAULT) => createRunIdentity(vault, group, version.toLowerCase()),
      run: async (id) => (await app.engine.journal.get(id))?.run,
      async waitForRun(id, until = (run) => FINAL_STATUSES.has(run.status), timeoutMs = 20_000) {
        const deadline = Date.now() + timeoutMs;
        let last: RunRecord | undefined;
        while (Date.now() < deadline) {
          last = await readRun(table, id);
          if (last && until(last)) return last;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        throw new Error(
          `run ${id} did not get there in ${timeoutMs} ms (last: ${last?.status ?? 'none'}/${last?.phase ?? '-'})`,
        );
      },
      async runs() {
        const runs = new Map<string, RunRecord>();
        try {
          for await (const row of table.listEntities()) {
            const run = runOf(row);
            if (run) runs.set(run.id, run);
          }
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode !== 404) throw error;
        }
        return runs;
      },
      async journalRows() {
        const rows: Record<string, unknown>[] = [];
        try {
          for await (const row of table.listEntities()) rows.push(row);
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode !== 404) throw error;
        }
        return rows;
      },
      async breakLeases() {
        const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
          'rotation-locks',
        );
        let broken = 0;
        for await (const blob of container.listBlobsFlat()) {
          if (blob.properties.leaseState !== 'leased') continue;
          await container.getBlobClient(blob.name).getBlobLeaseClient().breakLease(0);
          broken += 1;
        }
        return broken;
      },
      async queueDepth(queue = 'rotation-runs') {
        const { QueueClient } = await import('@azure/storage-queue');
        const client = new QueueClient(azurite.connectionString, queue);
        if (!(await client.exists())) return 0;
        const properties = await client.getProperties();
        return properties.approximateMessagesCount ?? 0;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Reads a run straight from Azurite (not through the fault proxy: waiting must not fail with the faults). */
async function readRun(table: TableClient, id: string): Promise<RunRecord | undefined> {
  const { odata } = await import('@azure/data-tables');
  try {
    for await (const entity of table.listEntities({ queryOptions: { filter: odata`RowKey eq ${id}` } })) {
      const run = runOf(entity);
      if (run) return run;
    }
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  return undefined;
}

/** The run a journal row holds; undefined for rows that hold none (index or marker rows). */
function runOf(entity: Record<string, unknown>): RunRecord | undefined {
  const parts = entity.RunParts;
  if (typeof parts !== 'number' || parts < 1) return undefined;
  let json = '';
  for (let i = 0; i < parts; i++) json += String(entity[`Run${i}`]);
  return JSON.parse(json) as RunRecord;
}

/** Every alert kind but the digest (the sweep's daily summary): the channel the tests read gets them all. */
export const ALL_ALERT_KINDS = ALERT_KINDS.filter((kind) => kind !== 'digest');

/** A Key Vault event exactly as Key Vault publishes it in the Event Grid schema (default vault: `VAULT`). */
export function keyVaultEvent(type: KeyVaultEventType, secret: KeyVaultEventSecret, vault = VAULT) {
  return keyVaultEventIn(vault, type, secret);
}
