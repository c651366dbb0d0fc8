/**
 * What Azure registers on a cold start (`functions/index.ts`): every function of `definitions.ts` with the
 * same name and trigger, and a handler that imports the function's module on its first invocation.
 *
 * Why: importing `definitions.ts` loads every function module, and through them the engine, the reports,
 * zod and ~100 project modules — about 2× `@azure/functions` itself on every cold start, for nothing when
 * the instance only ever runs one of them (`npm run bench` measures it). Registration needs only names
 * and triggers; the rest loads with the first invocation that needs it.
 *
 * To add a function: add it to `definitions.ts` (the local host and the tests use that list), then one
 * entry here; `manifest.test.ts` fails until both agree on names and triggers.
 */
import type {
  EventGridFunctionDefinition,
  EventGridFunctionHandler,
  FunctionDefinition,
  HttpFunctionDefinition,
  HttpFunctionHandler,
  StorageQueueFunctionDefinition,
  StorageQueueFunctionHandler,
  TimerFunctionDefinition,
  TimerFunctionHandler,
} from './definition.js';

// `import()` of a module already loaded resolves to it: only the first invocation pays for the load.
const http =
  (load: () => Promise<HttpFunctionDefinition>): HttpFunctionHandler =>
  async (request, context) =>
    (await load()).handler(request, context);
const eventGrid =
  (load: () => Promise<EventGridFunctionDefinition>): EventGridFunctionHandler =>
  async (event, context) =>
    (await load()).handler(event, context);
const queue =
  (load: () => Promise<StorageQueueFunctionDefinition>): StorageQueueFunctionHandler =>
  async (message, context) =>
    (await load()).handler(message, context);
const timer =
  (load: () => Promise<TimerFunctionDefinition>): TimerFunctionHandler =>
  async (info, context) =>
    (await load()).handler(info, context);

const api = (methods: ('GET' | 'POST')[], route: string) =>
  ({ type: 'http', methods, route, authLevel: 'function' }) as const;

export const functionManifest: FunctionDefinition[] = [
  {
    name: 'keyVaultEvents',
    trigger: { type: 'eventGrid' },
    handler: eventGrid(async () => (await import('./keyVaultEvents.js')).keyVaultEvents),
  },
  {
    name: 'rotationWorker',
    trigger: { type: 'storageQueue', queueName: 'rotation-runs', connection: 'AzureWebJobsStorage' },
    handler: queue(async () => (await import('./rotationWorker.js')).rotationWorker),
  },
  {
    name: 'poisonRuns',
    trigger: { type: 'storageQueue', queueName: 'rotation-runs-poison', connection: 'AzureWebJobsStorage' },
    handler: queue(async () => (await import('./poisonRuns.js')).poisonRuns),
  },
  {
    name: 'dailySweep',
    trigger: { type: 'timer', schedule: '%SWEEP_SCHEDULE%' },
    handler: timer(async () => (await import('./dailySweep.js')).dailySweep),
  },
  {
    name: 'inventoryReport',
    trigger: api(['GET'], 'reports/inventory'),
    handler: http(async () => (await import('./inventoryReport.js')).inventoryReport),
  },
  {
    name: 'historyReport',
    trigger: api(['GET'], 'reports/history'),
    handler: http(async () => (await import('./historyReport.js')).historyReport),
  },
  {
    name: 'rotateSecret',
    trigger: api(['POST'], 'secrets/{name}/rotate'),
    handler: http(async () => (await import('./rotateSecret.js')).rotateSecretFunction),
  },
  {
    name: 'rotateMany',
    trigger: api(['POST'], 'rotations'),
    handler: http(async () => (await import('./rotateMany.js')).rotateManyFunction),
  },
  {
    name: 'rollbackSecret',
    trigger: api(['POST'], 'secrets/{name}/rollback'),
    handler: http(async () => (await import('./rollbackSecret.js')).rollbackSecretFunction),
  },
  {
    name: 'getRun',
    trigger: api(['GET'], 'runs/{id}'),
    handler: http(async () => (await import('./getRun.js')).getRunFunction),
  },
  {
    name: 'repropagateRun',
    trigger: api(['POST'], 'runs/{id}/propagate'),
    handler: http(async () => (await import('./repropagateRun.js')).repropagateRunFunction),
  },
  {
    name: 'submitSecretVersion',
    trigger: api(['POST'], 'secrets/{name}/versions'),
    handler: http(async () => (await import('./submitSecretVersion.js')).submitSecretVersionFunction),
  },
];
