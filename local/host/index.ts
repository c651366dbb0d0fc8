/**
 * The local Functions host: serves the same `FunctionDefinition`s as Azure at Azure's paths, on
 * `http://127.0.0.1:<port>` (Azure Functions Core Tools cannot be installed here).
 *
 * - HTTP triggers: `/<routePrefix>/<route>` (host.json `routePrefix`, `api`).
 * - Event Grid triggers: `POST /runtime/webhooks/eventgrid?functionName=<name>`.
 * - Queue triggers: polled from Azurite (base64 messages, retries, `<queue>-poison`).
 * - Timer triggers: six-field NCRONTAB in UTC; `POST /admin/functions/<name>` runs any non-HTTP function.
 * Keys: `x-functions-key` or `?code=` (function key everywhere; Azure uses system/master keys for the
 * webhook and admin paths). Every request is logged in one line with `code` redacted; never bodies.
 */
import {
  assertValidDefinitions,
  type FunctionDefinition,
  isEventGridDefinition,
  isHttpDefinition,
  isStorageQueueDefinition,
  isTimerDefinition,
} from '../../functions/definition.js';
import { describeError } from '../../rotation/errors.js';
import type { Logger } from '../../rotation/ports.js';
import { AdminEndpoint } from './admin.js';
import { type HostConfig, readHostConfig } from './config.js';
import { EventGridWebhook } from './eventgrid.js';
import { HttpTriggerHost } from './http-trigger.js';
import { buildAdminInvokers } from './invokers.js';
import { type CronSchedule, parseNcrontab, resolveSchedule } from './ncrontab.js';
import { type PoisonHook, QueueListener } from './queue-listener.js';
import { closeServer, createHostServer, listen } from './server.js';
import { type HostClock, TimerScheduler } from './timer-scheduler.js';
import { InvocationTracker } from './tracker.js';

export interface LocalHostTiming {
  /** Queue poll interval right after messages arrived; doubles while idle up to `queuePollMaxMs`. */
  queuePollMinMs: number;
  /** Default: host.json `maxPollingInterval`, as in Azure. */
  queuePollMaxMs?: number;
  /** Delay before a failed message is retried; defaults to host.json `visibilityTimeout`. */
  visibilityTimeoutSeconds?: number;
  /** How long a running message stays hidden (renewed at half-time). Azure uses 10 minutes. */
  messageLeaseSeconds: number;
  /** Longest real wait before timers re-read the clock (so a fast-forwarded clock is noticed). */
  timerTickMaxMs: number;
  /** How long `stop()` waits for running invocations. */
  drainTimeoutMs: number;
}

export const DEFAULT_TIMING: LocalHostTiming = {
  queuePollMinMs: 100,
  messageLeaseSeconds: 600,
  timerTickMaxMs: 1000,
  drainTimeoutMs: 10_000,
};

/** Largest HTTP trigger body the host buffers (functions apply their own, smaller limits). */
export const HTTP_MAX_BODY_BYTES = 1024 * 1024;

export interface LocalHostOptions {
  definitions: readonly FunctionDefinition[];
  /** 0 picks a free port; default `PORT` (settings, then environment), else 7071. */
  port?: number;
  functionKey: string;
  /** Storage for queue triggers; default the setting the trigger's `connection` names. */
  storageConnectionString?: string;
  /** App settings (`%SETTING%` schedules, `PORT`); the environment is the fallback, as in Azure. */
  settings?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  timing?: Partial<LocalHostTiming>;
  /** Parsed host.json; default the project's `host.json`. */
  hostConfig?: HostConfig;
  /** Timers follow this clock (the emulator's, locally); default the system clock. */
  clock?: HostClock;
  /** Called after a message moved to a poison queue (raise an alert here). */
  onPoison?: PoisonHook;
}

export interface RunningLocalHost {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export class LocalHostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalHostError';
  }
}

export const consoleLogger: Logger = {
  info: (message, fields) => console.log(message, fields ? JSON.stringify(fields) : ''),
  warn: (message, fields) => console.warn(message, fields ? JSON.stringify(fields) : ''),
  error: (message, fields) => console.error(message, fields ? JSON.stringify(fields) : ''),
};

function resolvePort(options: LocalHostOptions, lookup: (name: string) => string | undefined): number {
  if (options.port !== undefined) return options.port;
  const text = lookup('PORT');
  if (text === undefined || text === '') return 7071;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new LocalHostError(`PORT "${text}" is not a port`);
  return port;
}

export async function startLocalHost(options: LocalHostOptions): Promise<RunningLocalHost> {
  assertValidDefinitions(options.definitions);
  if (options.functionKey === '') throw new LocalHostError('functionKey must not be empty');
  const settings = options.settings ?? {};
  const lookup = (name: string): string | undefined => settings[name] ?? process.env[name];
  const logger = options.logger ?? consoleLogger;
  const hostConfig = options.hostConfig ?? readHostConfig();
  const timing: LocalHostTiming = { ...DEFAULT_TIMING, ...options.timing };
  const queues = {
    ...hostConfig.queues,
    ...(timing.visibilityTimeoutSeconds === undefined
      ? {}
      : { visibilityTimeoutSeconds: timing.visibilityTimeoutSeconds }),
  };
  const clock = options.clock ?? { now: () => new Date() };
  const tracker = new InvocationTracker();
  const port = resolvePort(options, lookup);

  // Everything that can be wrong with the definitions is reported before anything starts.
  const problems: string[] = [];
  const schedules = new Map<string, CronSchedule>();
  for (const definition of options.definitions.filter(isTimerDefinition)) {
    try {
      const expression = resolveSchedule(definition.trigger.schedule, { ...process.env, ...settings });
      schedules.set(definition.name, parseNcrontab(expression));
    } catch (error) {
      problems.push(`${definition.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const queueDefinitions = options.definitions.filter(isStorageQueueDefinition);
  const connections = new Map<string, string>();
  for (const definition of queueDefinitions) {
    const connection = options.storageConnectionString ?? lookup(definition.trigger.connection);
    if (connection === undefined || connection === '') {
      problems.push(`${definition.name}: no storage connection string (${definition.trigger.connection})`);
    } else {
      connections.set(definition.name, connection);
    }
  }
  if (problems.length > 0)
    throw new LocalHostError(`Cannot start the local host:\n- ${problems.join('\n- ')}`);

  const httpHost = new HttpTriggerHost({
    definitions: options.definitions.filter(isHttpDefinition),
    functionKey: options.functionKey,
    maxBodyBytes: HTTP_MAX_BODY_BYTES,
    logger,
    tracker,
  });
  const eventGrid = new EventGridWebhook({
    definitions: options.definitions.filter(isEventGridDefinition),
    functionKey: options.functionKey,
    logger,
    tracker,
  });
  const listeners = queueDefinitions.map(
    (definition) =>
      new QueueListener({
        definition,
        connectionString: connections.get(definition.name)!,
        queues,
        timing: {
          pollMinMs: timing.queuePollMinMs,
          pollMaxMs: timing.queuePollMaxMs ?? queues.maxPollingIntervalSeconds * 1000,
          leaseSeconds: timing.messageLeaseSeconds,
        },
        logger,
        tracker,
        ...(options.onPoison ? { onPoison: options.onPoison } : {}),
      }),
  );
  const timerByName = new Map<string, TimerScheduler>();
  const timers = options.definitions.filter(isTimerDefinition).map((definition) => {
    const scheduler = new TimerScheduler({
      definition,
      schedule: schedules.get(definition.name)!,
      clock,
      tickMaxMs: timing.timerTickMaxMs,
      logger,
      tracker,
    });
    timerByName.set(definition.name, scheduler);
    return scheduler;
  });

  const admin = new AdminEndpoint({
    invokers: buildAdminInvokers(options.definitions, { timers: timerByName, clock, logger, tracker }),
    functionKey: options.functionKey,
    logger,
  });
  const server = createHostServer({
    eventGrid,
    admin,
    httpTriggers: httpHost,
    routePrefix: hostConfig.routePrefix,
    logger,
  });

  const started: QueueListener[] = [];
  try {
    for (const listener of listeners) {
      await listener.start();
      started.push(listener);
    }
  } catch (error) {
    await Promise.allSettled(started.map((l) => l.stop()));
    throw new LocalHostError(`Cannot start queue listeners: ${describeError(error).message}`);
  }
  let boundPort: number;
  try {
    boundPort = await listen(server, port);
  } catch (error) {
    await Promise.allSettled(listeners.map((l) => l.stop()));
    throw new LocalHostError(error instanceof Error ? error.message : String(error));
  }
  for (const timer of timers) timer.start();
  const url = `http://127.0.0.1:${boundPort}`;
  logger.info('local Functions host listening', { url, functions: options.definitions.map((d) => d.name) });

  let stopping: Promise<void> | undefined;
  return {
    url,
    port: boundPort,
    stop() {
      stopping ??= (async () => {
        const closed = closeServer(server);
        await Promise.all([...timers.map((t) => t.stop()), ...listeners.map((l) => l.stop())]);
        const drained = await tracker.drain(timing.drainTimeoutMs);
        if (!drained)
          logger.warn('local host stopped with invocations still running', { running: tracker.size });
        server.closeAllConnections();
        await closed;
      })();
      return stopping;
    },
  };
}

export { type HostConfig, parseHostJson, readHostConfig } from './config.js';
export { CronExpressionError, nextOccurrence, parseNcrontab, resolveSchedule } from './ncrontab.js';
export type { PoisonHook, PoisonMessage } from './queue-listener.js';
export { decodeQueueMessageText, encodeQueueMessage } from './queue-message.js';
export { redactUrl } from './respond.js';
