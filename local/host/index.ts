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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
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
import { ADMIN_FUNCTIONS_PREFIX, AdminEndpoint, AdminInputError, type AdminInvoker } from './admin.js';
import { type HostConfig, readHostConfig } from './config.js';
import { createInvocationContext } from './context.js';
import { EVENT_GRID_WEBHOOK_PATH, EventGridWebhook, invokeEventGridFunction, isObject } from './eventgrid.js';
import { HttpTriggerHost } from './http-trigger.js';
import { type CronSchedule, parseNcrontab, resolveSchedule } from './ncrontab.js';
import { type PoisonHook, QueueListener } from './queue-listener.js';
import { parseQueuePayload } from './queue-message.js';
import { redactUrl, sendError } from './respond.js';
import { type HostClock, TimerScheduler } from './timer-scheduler.js';
import { InvocationTracker } from './tracker.js';

export interface LocalHostTiming {
  /** Queue poll interval right after messages arrived; doubles while idle up to `queuePollMaxMs`. */
  queuePollMinMs: number;
  queuePollMaxMs: number;
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
  queuePollMaxMs: 2000,
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

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) =>
      reject(new LocalHostError(`cannot listen on 127.0.0.1:${port}: ${error.message}`));
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeIdleConnections();
  });
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
          pollMaxMs: timing.queuePollMaxMs,
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

  const invokers = new Map<string, AdminInvoker | undefined>();
  for (const definition of options.definitions) {
    const key = definition.name.toLowerCase();
    if (isHttpDefinition(definition)) {
      invokers.set(key, undefined);
    } else if (isTimerDefinition(definition)) {
      const scheduler = timerByName.get(definition.name)!;
      invokers.set(key, () => scheduler.invoke(scheduler.timerFor(clock.now(), false)));
    } else if (isEventGridDefinition(definition)) {
      invokers.set(key, (input) => {
        let event: unknown;
        try {
          event = JSON.parse(input);
        } catch {
          throw new AdminInputError('"input" must be the event as JSON.');
        }
        if (!isObject(event)) throw new AdminInputError('"input" must be one event (a JSON object).');
        return invokeEventGridFunction(definition, event, logger, tracker);
      });
    } else if (isStorageQueueDefinition(definition)) {
      invokers.set(key, async (input) => {
        const context = createInvocationContext({
          functionName: definition.name,
          triggerType: 'queueTrigger',
          logger,
          triggerMetadata: { dequeueCount: 1, queueTrigger: input },
        });
        await tracker.track(
          Promise.resolve().then(() => definition.handler(parseQueuePayload(input), context)),
        );
      });
    }
  }
  const admin = new AdminEndpoint({ invokers, functionKey: options.functionKey, logger });

  const routePrefix = hostConfig.routePrefix.toLowerCase();
  const dispatch = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    const lower = path.toLowerCase();
    if (lower === EVENT_GRID_WEBHOOK_PATH || lower === `${EVENT_GRID_WEBHOOK_PATH}/`) {
      await eventGrid.handle(req, res, url);
    } else if (
      lower.startsWith(ADMIN_FUNCTIONS_PREFIX) &&
      !path.slice(ADMIN_FUNCTIONS_PREFIX.length).includes('/')
    ) {
      let name: string;
      try {
        name = decodeURIComponent(path.slice(ADMIN_FUNCTIONS_PREFIX.length));
      } catch {
        name = '';
      }
      await admin.handle(req, res, url, name);
    } else if (routePrefix === '') {
      await httpHost.handle(req, res, url, path.slice(1));
    } else if (lower === `/${routePrefix}` || lower.startsWith(`/${routePrefix}/`)) {
      await httpHost.handle(req, res, url, path.slice(routePrefix.length + 2));
    } else {
      sendError(res, 404, 'NotFound', 'No function serves this route.');
      req.resume();
    }
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    const logged = redactUrl(req.url ?? '/');
    res.once('close', () => {
      const ms = Math.round(performance.now() - started);
      const method = req.method ?? 'GET';
      logger.info(`${method} ${logged} ${res.statusCode} ${ms}ms`, {
        method,
        path: logged,
        status: res.statusCode,
        ms,
      });
    });
    let url: URL;
    try {
      url = new URL(`http://127.0.0.1${req.url ?? '/'}`);
    } catch {
      sendError(res, 400, 'BadRequest', 'The request URL is malformed.');
      req.resume();
      return;
    }
    dispatch(req, res, url).catch((error: unknown) => {
      logger.error('local host request failed', { path: logged, error: describeError(error) });
      if (!res.headersSent) sendError(res, 500, 'InternalError', 'The request failed unexpectedly.');
      else res.destroy();
    });
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
    throw error;
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
