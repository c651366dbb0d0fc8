/**
 * The rotator as it runs in Azure, for benchmarks. "Azure" (Azurite, the emulator with a per-call latency
 * fault, the consumers' webhook receiver) runs in child processes, as it runs on
 * other machines in Azure; this process runs what the Functions app runs: the composition root (real SDK
 * clients, fast retry timing) and the local Functions host serving THE function list
 * (`functions/definitions.ts`), with the queue worker timed per invocation. Everything binds 127.0.0.1
 * with OS-chosen ports and stops with `stop()`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { InvocationContext } from '@azure/functions';
import { localEnvironment } from '../../azure/index.js';
import type { RotatorApp } from '../../composition/app.js';
import { systemClock } from '../../composition/clock.js';
import { resetRotatorApp, setRotatorApp } from '../../composition/instance.js';
import { createRotatorApp } from '../../composition/root.js';
import { type FunctionDefinition, isStorageQueueDefinition } from '../../functions/definition.js';
import { functionDefinitions } from '../../functions/definitions.js';
import type { ResourceDeclaration } from '../../local/emulator/index.js';
import { type RunningLocalHost, startLocalHost } from '../../local/host/index.js';
import type { Logger } from '../../rotation/ports.js';
import { loadSettings } from '../../rotation/settings.js';
import { type AzureSide, startAzureSide } from './azure-client.js';
import { nowMs } from './calls.js';

export const SUB = '00000000-0000-0000-0000-000000000000';
export const RG = 'rg-bench';
export const armId = (type: string, name: string) =>
  `/subscriptions/${SUB}/resourceGroups/${RG}/providers/${type}/${name}`;

/** One queue-worker invocation: the message it got and when it ran (shared clock, `nowMs`). */
export interface WorkerInvocation {
  message: unknown;
  startMs: number;
  endMs: number;
  failed: boolean;
}

export interface BenchStackOptions {
  vaults: string[];
  resources: ResourceDeclaration[];
  /** `rotation.json` content, given the receiver's origin (consumer and channel URLs point at it). */
  config: (receiverOrigin: string) => object;
  /** Extra app settings. */
  settings?: Record<string, string>;
  /** Injected before every Key Vault, ARM, data-plane and consumer call (0: none). */
  latencyMs: number;
  /** Serve only these functions (default: all). */
  functions?: (definition: FunctionDefinition) => boolean;
}

export interface BenchStack {
  azure: AzureSide;
  app: RotatorApp;
  host: RunningLocalHost;
  functionKey: string;
  workers: WorkerInvocation[];
  /** Resolves once a worker invocation ends whose message satisfies `match`. */
  workerDone(match: (message: unknown) => boolean, timeoutMs?: number): Promise<WorkerInvocation>;
  /** Worker invocations in flight right now, and the most so far (reset it to measure a window). */
  readonly inFlight: number;
  peakInFlight: number;
  /** POSTs a Key Vault event (Event Grid schema) to `keyVaultEvents`; returns the HTTP status. */
  deliverEvent(event: object): Promise<number>;
  stop(): Promise<void>;
}

/** A logger that keeps nothing (the benchmark measures; it does not need the lines). */
const quietLog: Logger = { info() {}, warn() {}, error() {} };
/** `BENCH_DEBUG=1` prints every log line (to see why a scenario went wrong). */
const debugLog: Logger = {
  info: (message, fields) => console.log('info', message, JSON.stringify(fields ?? {})),
  warn: (message, fields) => console.log('warn', message, JSON.stringify(fields ?? {})),
  error: (message, fields) => console.log('error', message, JSON.stringify(fields ?? {})),
};
const benchLog = process.env.BENCH_DEBUG === '1' ? debugLog : quietLog;

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'rotator-bench-'));
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.splice(0).reverse()) await fn().catch(() => {});
    resetRotatorApp();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const azure = await startAzureSide({
      vaults: options.vaults,
      resources: options.resources,
      latencyMs: options.latencyMs,
    });
    stops.push(() => azure.stop());
    const env = localEnvironment({
      caCert: azure.caCert,
      vaultUrls: Object.fromEntries(azure.vaults.map((v) => [v.name, v.url])),
      armEndpoint: azure.armEndpoint,
      storageConnectionString: azure.storageConnectionString,
    });
    const settings = loadSettings({
      AzureWebJobsStorage: azure.storageConnectionString,
      ROTATION_CONFIG: JSON.stringify(options.config(azure.receiverOrigin)),
      LOCAL_STATE_DIR: stateDir,
      ...options.settings,
    });
    // The emulator's clock is real time (the benchmark never moves it), so the system clock follows it.
    const app = await createRotatorApp({ settings, env, clock: systemClock, log: benchLog, timing: 'fast' });
    setRotatorApp(app);

    const workers: WorkerInvocation[] = [];
    const waiters = new Set<{ match: (m: unknown) => boolean; resolve: (w: WorkerInvocation) => void }>();
    const state = { inFlight: 0, peakInFlight: 0 };
    const timed = (definition: FunctionDefinition): FunctionDefinition => {
      if (!isStorageQueueDefinition(definition) || definition.name !== 'rotationWorker') return definition;
      const handler = definition.handler;
      return {
        ...definition,
        handler: async (message: unknown, context: InvocationContext) => {
          const startMs = nowMs();
          state.inFlight += 1;
          state.peakInFlight = Math.max(state.peakInFlight, state.inFlight);
          let failed = false;
          try {
            await handler(message, context);
          } catch (error) {
            failed = true;
            throw error;
          } finally {
            state.inFlight -= 1;
            const invocation = { message, startMs, endMs: nowMs(), failed };
            workers.push(invocation);
            for (const waiter of [...waiters]) {
              if (waiter.match(message)) {
                waiters.delete(waiter);
                waiter.resolve(invocation);
              }
            }
          }
        },
      };
    };
    const functionKey = randomBytes(24).toString('base64url');
    const host = await startLocalHost({
      definitions: functionDefinitions.filter(options.functions ?? (() => true)).map(timed),
      port: 0,
      functionKey,
      // The Functions runtime's own queue polling is not the app's traffic (HOST_USER_AGENT: not counted).
      storageConnectionString: azure.storageConnectionString,
      settings: { SWEEP_SCHEDULE: '0 0 0 1 1 *' },
      logger: benchLog,
      timing: { queuePollMinMs: 10, queuePollMaxMs: 50, drainTimeoutMs: 10_000 },
    });
    stops.push(() => host.stop());

    return {
      azure,
      app,
      host,
      functionKey,
      workers,
      workerDone(match, timeoutMs = 60_000) {
        return new Promise((resolve, reject) => {
          const waiter = {
            match,
            resolve: (w: WorkerInvocation) => {
              clearTimeout(timer);
              resolve(w);
            },
          };
          const timer = setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(`no worker invocation matched within ${timeoutMs} ms`));
          }, timeoutMs);
          waiters.add(waiter);
        });
      },
      get inFlight() {
        return state.inFlight;
      },
      get peakInFlight() {
        return state.peakInFlight;
      },
      set peakInFlight(value: number) {
        state.peakInFlight = value;
      },
      async deliverEvent(event) {
        const response = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=keyVaultEvents`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'aeg-event-type': 'Notification',
            'x-functions-key': functionKey,
          },
          body: JSON.stringify([event]),
        });
        await response.arrayBuffer();
        return response.status;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** POSTs to a host route with the function key; returns status and parsed JSON. */
export async function callHost(
  stack: Pick<BenchStack, 'host' | 'functionKey'>,
  route: string,
  body: unknown,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${stack.host.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-functions-key': stack.functionKey },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}
