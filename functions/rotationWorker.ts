/**
 * `rotationWorker` (queue trigger on `rotation-runs`): executes one run request with `executeRun`.
 *
 * - A message that is not a valid run request, or names a secret that is not managed → logged and
 *   completed (retrying cannot help).
 * - The group's lease is held elsewhere (`RunInProgress`): when this very run is already `running`, the
 *   message is a duplicate and is completed (the worker driving the run owns its own message, which the
 *   queue redelivers if that worker dies) — unless the request names the run (`runId`: it continues it, and
 *   is its only message); otherwise the request is put back with a delay and this message completed, so a
 *   long run of the group never pushes waiting requests into the poison queue.
 * - Anything else transient (storage, journal, Key Vault) → thrown: the queue retries it after the
 *   visibility timeout and moves it to `rotation-runs-poison` after 5 attempts (`poisonRuns` alerts).
 * Run failures are not errors here: the engine journals and alerts them and returns the failed run.
 */
import type { InvocationContext } from '@azure/functions';
import type { GetApp, RotatorApp } from '../composition/app.js';
import { getRotatorApp } from '../composition/instance.js';
import { withFields } from '../composition/logger.js';
import { DEFAULT_TIMING, executeRun, resolveTarget, whereOf } from '../rotation/engine/index.js';
import { describeError, isRotationError, type RotationError } from '../rotation/errors.js';
import type { Logger, RunRecord, RunRequest } from '../rotation/ports.js';
import { decodeRunMessage, RUN_QUEUE } from '../rotation/run-message.js';
import type { StorageQueueFunctionDefinition, StorageQueueFunctionHandler } from './definition.js';
import { isPermanent, retryableError } from './trigger-errors.js';

export type WorkerOutcome =
  | { kind: 'executed'; run: RunRecord }
  | { kind: 'rejected'; code: string }
  | { kind: 'duplicate'; runId: string }
  | { kind: 'deferred'; runId: string | undefined; delaySeconds: number };

export function createRotationWorkerHandler(getApp: GetApp): StorageQueueFunctionHandler {
  return async (message: unknown, context: InvocationContext) => {
    const app = await getApp();
    const log = withFields(app.log, {
      functionName: context.functionName,
      invocationId: context.invocationId,
      messageId: context.triggerMetadata?.id,
      dequeueCount: context.triggerMetadata?.dequeueCount,
    });
    await handleRunMessage(app, message, log);
  };
}

/** Handles one queue message; throws only when the queue should deliver it again. */
export async function handleRunMessage(
  app: RotatorApp,
  message: unknown,
  log: Logger,
): Promise<WorkerOutcome> {
  let request: RunRequest;
  try {
    request = decodeRunMessage(message);
  } catch (error) {
    log.error('run message is not a valid run request; completed', { error: describeError(error) });
    return { kind: 'rejected', code: describeError(error).code };
  }
  const fields = { vault: request.vault, secret: request.secret, trigger: request.trigger.kind };
  try {
    const run = await executeRun(app.engine, request);
    const level = run.status === 'failed' ? 'warn' : 'info';
    log[level]('run request executed', {
      ...fields,
      runId: run.id,
      status: run.status,
      phase: run.phase,
      attempt: run.attempt,
      ...(run.error ? { error: run.error.code } : {}),
    });
    return { kind: 'executed', run };
  } catch (error) {
    if (isRotationError(error, 'RunInProgress')) {
      try {
        return await deferOrDrop(app, request, error, log);
      } catch (deferError) {
        log.warn('could not put the run request back; the queue will retry it', {
          ...fields,
          error: describeError(deferError),
        });
        throw retryableError(deferError);
      }
    }
    if (isPermanent(error)) {
      log.error('run request can never succeed; completed', { ...fields, error: describeError(error) });
      return { kind: 'rejected', code: describeError(error).code };
    }
    log.warn('run request failed; the queue will retry it', { ...fields, error: describeError(error) });
    throw retryableError(error);
  }
}

async function deferOrDrop(
  app: RotatorApp,
  request: RunRequest,
  error: RotationError,
  log: Logger,
): Promise<WorkerOutcome> {
  const delaySeconds =
    error.retryAfterSeconds ?? app.engine.timing?.leaseSeconds ?? DEFAULT_TIMING.leaseSeconds;
  if (!isRotation(request)) {
    // Rollback and re-propagation name their run themselves: put them back as they are.
    await app.engine.queue.enqueue(request, { visibilityDelaySeconds: delaySeconds });
    log.info('credential group busy; request put back on the queue', { delaySeconds, reason: error.message });
    return { kind: 'deferred', runId: undefined, delaySeconds };
  }
  const target = await resolveTarget(app.engine, request);
  const row = await app.engine.journal.get(target.runId, whereOf(target.group));
  // A request that names its run (a hand-over's propagation, the sweep's resume) is that run's only
  // message: dropped here, the run would wait for the next sweep. It goes back on the queue instead.
  if (row?.run.status === 'running' && !request.runId) {
    log.info('run is being executed by another worker; duplicate request completed', { runId: target.runId });
    return { kind: 'duplicate', runId: target.runId };
  }
  await app.engine.queue.enqueue(
    { ...request, triggerVersion: target.triggerVersion },
    { visibilityDelaySeconds: delaySeconds },
  );
  log.info('credential group busy; run request put back on the queue', {
    runId: target.runId,
    delaySeconds,
    reason: error.message,
  });
  return { kind: 'deferred', runId: target.runId, delaySeconds };
}

/** A plain rotation request (requests may also carry another `action`, e.g. a rollback). */
function isRotation(request: RunRequest): boolean {
  return !('action' in request) || request.action === undefined || request.action === 'rotate';
}

export function rotationWorkerFunction(getApp: GetApp = getRotatorApp): StorageQueueFunctionDefinition {
  return {
    name: 'rotationWorker',
    trigger: { type: 'storageQueue', queueName: RUN_QUEUE, connection: 'AzureWebJobsStorage' },
    handler: createRotationWorkerHandler(getApp),
  };
}

/** The registered function (`functions/definitions.ts`). */
export const rotationWorker = rotationWorkerFunction();
