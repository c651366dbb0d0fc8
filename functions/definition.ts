/**
 * One description of every function, used by both hosts: `functions/index.ts` registers each definition
 * with `app.*` from `@azure/functions` in Azure, and `local/host/` serves the same definitions locally.
 * Handlers are typed with the `@azure/functions` types, so the very same handler runs in both places.
 *
 * `@azure/functions` is CommonJS: in Node ESM only `app` is a detectable named export. Import its types
 * with `import type`, and its classes (`HttpResponse`, `HttpRequest`) through the default export.
 */
import type {
  EventGridEvent,
  FunctionResult,
  HttpMethod,
  HttpRequest,
  HttpResponse,
  HttpResponseInit,
  InvocationContext,
  Timer,
} from '@azure/functions';

export type AuthLevel = 'function' | 'anonymous';

export interface HttpTriggerDefinition {
  type: 'http';
  methods: HttpMethod[];
  /** Route under the `routePrefix` (host.json, `api`), e.g. `secrets/{name}/rotate`. No leading slash. */
  route: string;
  authLevel: AuthLevel;
}

/** Event Grid webhook at `/runtime/webhooks/eventgrid?functionName=<name>`; one event per invocation. */
export interface EventGridTriggerDefinition {
  type: 'eventGrid';
}

export interface StorageQueueTriggerDefinition {
  type: 'storageQueue';
  queueName: string;
  /** Name of the setting holding the storage connection string. Messages are base64-encoded JSON. */
  connection: 'AzureWebJobsStorage';
}

export interface TimerTriggerDefinition {
  type: 'timer';
  /** Six-field NCRONTAB (`sec min hour day month dow`, UTC) or `%SETTING%` naming a setting holding one. */
  schedule: string;
  /** Only `false` is allowed: running on every cold start would rotate on every scale-out. */
  runOnStartup?: false;
}

export type TriggerDefinition =
  | HttpTriggerDefinition
  | EventGridTriggerDefinition
  | StorageQueueTriggerDefinition
  | TimerTriggerDefinition;

export type HttpFunctionHandler = (
  request: HttpRequest,
  context: InvocationContext,
) => FunctionResult<HttpResponseInit | HttpResponse>;
export type EventGridFunctionHandler = (
  event: EventGridEvent,
  context: InvocationContext,
) => FunctionResult<void>;
/** `message` is the base64-decoded text, JSON-parsed when it is JSON (as the Azure Node worker does). */
export type StorageQueueFunctionHandler = (
  message: unknown,
  context: InvocationContext,
) => FunctionResult<void>;
export type TimerFunctionHandler = (timer: Timer, context: InvocationContext) => FunctionResult<void>;

export interface HttpFunctionDefinition {
  name: string;
  trigger: HttpTriggerDefinition;
  handler: HttpFunctionHandler;
}
export interface EventGridFunctionDefinition {
  name: string;
  trigger: EventGridTriggerDefinition;
  handler: EventGridFunctionHandler;
}
export interface StorageQueueFunctionDefinition {
  name: string;
  trigger: StorageQueueTriggerDefinition;
  handler: StorageQueueFunctionHandler;
}
export interface TimerFunctionDefinition {
  name: string;
  trigger: TimerTriggerDefinition;
  handler: TimerFunctionHandler;
}

/** Discriminated on `trigger.type`. */
export type FunctionDefinition =
  | HttpFunctionDefinition
  | EventGridFunctionDefinition
  | StorageQueueFunctionDefinition
  | TimerFunctionDefinition;

/**
 * Names of the bindings registration declares. `@azure/functions` names a binding that has none with a
 * SHA-256 of its JSON, which loads `node:crypto` at every cold start; named here, it never hashes (the
 * bundled entry then loads `node:crypto` only if something calls it, `scripts/build.ts`). Each function
 * has one trigger and, for HTTP, one return binding, so fixed names are unique and the same in every worker.
 */
export const BINDING_NAMES = {
  http: 'httpTrigger',
  httpReturn: 'httpResponse',
  eventGrid: 'eventGridTrigger',
  storageQueue: 'queueTrigger',
  timer: 'timerTrigger',
} as const;

/** The subset of `app` from `@azure/functions` that registration uses (a recording fake in tests). */
export interface FunctionRegistrar {
  http(
    name: string,
    options: {
      name: string;
      methods: HttpMethod[];
      route: string;
      authLevel: AuthLevel;
      handler: HttpFunctionHandler;
      return: { type: 'http'; name: string };
    },
  ): void;
  eventGrid(name: string, options: { name: string; handler: EventGridFunctionHandler }): void;
  storageQueue(
    name: string,
    options: { name: string; queueName: string; connection: string; handler: StorageQueueFunctionHandler },
  ): void;
  timer(
    name: string,
    options: { name: string; schedule: string; runOnStartup: boolean; handler: TimerFunctionHandler },
  ): void;
}

export class FunctionDefinitionError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid function definitions:\n- ${problems.join('\n- ')}`);
    this.name = 'FunctionDefinitionError';
  }
}

/** Azure function names: a letter, then letters, digits, `_` or `-`, at most 127 characters. */
const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,126}$/;

/** Route segments: literals, `{param}` and a final `{*rest}`; constraints and optional params are not used. */
const ROUTE_SEGMENT = /^(?:[A-Za-z0-9._~-]+|\{[A-Za-z][A-Za-z0-9_]*\}|\{\*[A-Za-z][A-Za-z0-9_]*\})$/;

/** Canonical form of a route for duplicate detection: params become `{}`, literals lower case. */
function routeShape(route: string): string {
  return route
    .split('/')
    .map((segment) =>
      segment.startsWith('{') ? (segment.startsWith('{*') ? '{*}' : '{}') : segment.toLowerCase(),
    )
    .join('/');
}

/**
 * Every problem with a list of definitions: names (unique, case-insensitive as in Azure), routes, methods,
 * schedules present. Both hosts call this before registering anything.
 */
export function findDefinitionProblems(definitions: readonly FunctionDefinition[]): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const routes = new Map<string, string>();
  for (const [index, definition] of definitions.entries()) {
    const where = `functionDefinitions[${index}] (${definition.name})`;
    if (!FUNCTION_NAME.test(definition.name)) problems.push(`${where}: invalid function name`);
    const key = definition.name.toLowerCase();
    if (names.has(key)) problems.push(`${where}: function name registered twice`);
    names.add(key);
    if (typeof definition.handler !== 'function') problems.push(`${where}: handler is not a function`);
    const trigger = definition.trigger;
    switch (trigger.type) {
      case 'http': {
        if (trigger.methods.length === 0) problems.push(`${where}: no HTTP methods`);
        const segments = trigger.route.split('/');
        segments.forEach((segment, i) => {
          if (!ROUTE_SEGMENT.test(segment)) problems.push(`${where}: invalid route segment "${segment}"`);
          if (segment.startsWith('{*') && i !== segments.length - 1) {
            problems.push(`${where}: a catch-all parameter must be the last route segment`);
          }
        });
        for (const method of trigger.methods) {
          const routeKey = `${method} ${routeShape(trigger.route)}`;
          const other = routes.get(routeKey);
          if (other !== undefined)
            problems.push(`${where}: ${method} ${trigger.route} is also served by ${other}`);
          routes.set(routeKey, definition.name);
        }
        break;
      }
      case 'storageQueue':
        if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(trigger.queueName)) {
          problems.push(`${where}: invalid queue name "${trigger.queueName}"`);
        }
        break;
      case 'timer':
        if (trigger.schedule.trim() === '') problems.push(`${where}: empty schedule`);
        break;
      case 'eventGrid':
        break;
    }
  }
  return problems;
}

/** Throws a `FunctionDefinitionError` listing every problem, so nothing is registered half-way. */
export function assertValidDefinitions(definitions: readonly FunctionDefinition[]): void {
  const problems = findDefinitionProblems(definitions);
  if (problems.length > 0) throw new FunctionDefinitionError(problems);
}

/**
 * Registers every definition with the Azure Functions programming model. `%SETTING%` schedules are passed
 * through: the Azure runtime resolves them from app settings itself.
 */
export function registerFunctions(
  registrar: FunctionRegistrar,
  definitions: readonly FunctionDefinition[],
): void {
  assertValidDefinitions(definitions);
  for (const definition of definitions) {
    const { name } = definition;
    if (isHttpDefinition(definition)) {
      const { methods, route, authLevel } = definition.trigger;
      registrar.http(name, {
        name: BINDING_NAMES.http,
        methods: [...methods],
        route,
        authLevel,
        handler: definition.handler,
        return: { type: 'http', name: BINDING_NAMES.httpReturn },
      });
    } else if (isEventGridDefinition(definition)) {
      registrar.eventGrid(name, { name: BINDING_NAMES.eventGrid, handler: definition.handler });
    } else if (isStorageQueueDefinition(definition)) {
      const { queueName, connection } = definition.trigger;
      registrar.storageQueue(name, {
        name: BINDING_NAMES.storageQueue,
        queueName,
        connection,
        handler: definition.handler,
      });
    } else if (isTimerDefinition(definition)) {
      registrar.timer(name, {
        name: BINDING_NAMES.timer,
        schedule: definition.trigger.schedule,
        runOnStartup: false,
        handler: definition.handler,
      });
    } else {
      unreachable(definition);
    }
  }
}

function unreachable(value: never): never {
  throw new Error(`Unknown trigger type in ${JSON.stringify(value)}`);
}

export function isHttpDefinition(definition: FunctionDefinition): definition is HttpFunctionDefinition {
  return definition.trigger.type === 'http';
}
export function isEventGridDefinition(
  definition: FunctionDefinition,
): definition is EventGridFunctionDefinition {
  return definition.trigger.type === 'eventGrid';
}
export function isStorageQueueDefinition(
  definition: FunctionDefinition,
): definition is StorageQueueFunctionDefinition {
  return definition.trigger.type === 'storageQueue';
}
export function isTimerDefinition(definition: FunctionDefinition): definition is TimerFunctionDefinition {
  return definition.trigger.type === 'timer';
}
