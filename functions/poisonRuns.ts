/**
 * `poisonRuns` (queue trigger on `rotation-runs-poison`): a run request failed 5 times and the Functions
 * host (Azure's, or the local one) moved it here. Sends a `poison-message` alert and, when the request
 * names a run it can identify, records that run as `failed` in the journal — so reports show it and the
 * next trigger retries it. One path in both hosts: the local host's `onPoison` hook is not used.
 *
 * Completes the message once the alert went out (delivered or recorded as failed by the notifier); throws
 * (the poison queue retries) only when neither the app nor the notifier could be reached.
 */
import type { InvocationContext } from '@azure/functions';
import type { GetApp, RotatorApp } from '../composition/app.js';
import { getRotatorApp } from '../composition/instance.js';
import { withFields } from '../composition/logger.js';
import { FINAL_STATUSES, type RunTarget, resolveTarget } from '../rotation/engine/index.js';
import { describeError, isRotationError } from '../rotation/errors.js';
import type { AlertDelivery, Logger, RunRecord, RunRequest } from '../rotation/ports.js';
import { decodeRunMessage, RUN_POISON_QUEUE } from '../rotation/run-message.js';
import type { StorageQueueFunctionDefinition, StorageQueueFunctionHandler } from './definition.js';
import { retryableError } from './trigger-errors.js';

/** Code recorded on a run whose request ended in the poison queue. */
export const POISON_ERROR_CODE = 'PoisonMessage';
const JOURNAL_ATTEMPTS = 3;

export interface PoisonOutcome {
  /** The run the request named, when it could be identified. */
  runId?: string;
  /** True when this call moved the run to `failed`. */
  markedFailed: boolean;
  deliveries: AlertDelivery[];
}

export function createPoisonRunsHandler(getApp: GetApp): StorageQueueFunctionHandler {
  return async (message: unknown, context: InvocationContext) => {
    const app = await getApp();
    const log = withFields(app.log, {
      functionName: context.functionName,
      invocationId: context.invocationId,
      messageId: context.triggerMetadata?.id,
    });
    await handlePoisonMessage(app, message, log);
  };
}

export async function handlePoisonMessage(
  app: RotatorApp,
  message: unknown,
  log: Logger,
): Promise<PoisonOutcome> {
  let request: RunRequest | undefined;
  try {
    request = decodeRunMessage(message);
  } catch (error) {
    log.error('poison message is not a valid run request', { error: describeError(error) });
  }
  const target = request ? await identify(app, request, log) : undefined;
  const runId = target?.runId;
  log.error('run request moved to the poison queue after repeated failures', {
    vault: request?.vault,
    secret: request?.secret,
    runId,
  });

  const what = request
    ? `the run request for ${request.secret} in vault ${request.vault}`
    : 'an unreadable run request';
  let deliveries: AlertDelivery[];
  try {
    deliveries = await app.engine.notifier.send({
      kind: 'poison-message',
      severity: 'critical',
      title: request
        ? `Rotation of ${request.secret} gave up after repeated failures`
        : 'A rotation request gave up',
      text:
        `${what} failed on every attempt and was moved to the ${RUN_POISON_QUEUE} queue. ` +
        'Nothing was rotated by the attempts that failed before issuing; check the worker logs and the run, then trigger it again.',
      ...(request
        ? {
            vault: request.vault.toLowerCase(),
            secrets: target?.group.secrets.map((s) => s.name) ?? [request.secret],
          }
        : {}),
      ...(runId ? { runId } : {}),
      channels: target ? [...target.group.channels] : Object.keys(app.config.channels),
    });
  } catch (error) {
    log.error('poison alert could not be sent; the poison queue will retry', { error: describeError(error) });
    throw retryableError(error);
  }
  const markedFailed = runId ? await markFailed(app, runId, deliveries, log) : false;
  return { ...(runId ? { runId } : {}), markedFailed, deliveries };
}

/** The run the request maps to; undefined when it cannot be told (unmanaged now, Key Vault down). */
async function identify(app: RotatorApp, request: RunRequest, log: Logger): Promise<RunTarget | undefined> {
  try {
    return await resolveTarget(app.engine, request);
  } catch (error) {
    log.warn('cannot identify the run of a poison message', { error: describeError(error) });
    return undefined;
  }
}

/** Moves an unfinished run to `failed` and records the alert; retries on a concurrent journal write. */
async function markFailed(
  app: RotatorApp,
  runId: string,
  deliveries: AlertDelivery[],
  log: Logger,
): Promise<boolean> {
  const { journal, clock } = app.engine;
  for (let attempt = 1; attempt <= JOURNAL_ATTEMPTS; attempt++) {
    try {
      const row = await journal.get(runId);
      if (!row) {
        log.warn('poison message names a run the journal does not hold', { runId });
        return false;
      }
      if (FINAL_STATUSES.has(row.run.status)) {
        log.info('run of the poison message had already finished; left as it is', {
          runId,
          status: row.run.status,
        });
        return false;
      }
      const now = clock.now().toISOString();
      const failed: RunRecord = {
        ...structuredClone(row.run),
        status: 'failed',
        error: {
          code: POISON_ERROR_CODE,
          message: `the run request failed on every attempt and was moved to ${RUN_POISON_QUEUE}`,
          phase: row.run.phase,
        },
        updatedAt: now,
        finishedAt: now,
      };
      failed.alerts.push(
        ...deliveries.map((d) => ({
          kind: 'poison-message',
          channel: d.channel,
          status: d.status,
          attempts: d.attempts,
          at: d.at,
        })),
      );
      await journal.replace(failed, row.etag);
      log.info('run recorded as failed (poison message)', { runId, phase: row.run.phase });
      return true;
    } catch (error) {
      if (isRotationError(error, 'RunInProgress') && attempt < JOURNAL_ATTEMPTS) continue;
      log.error('could not record the poisoned run as failed', { runId, error: describeError(error) });
      return false;
    }
  }
  return false;
}

export function poisonRunsFunction(getApp: GetApp = getRotatorApp): StorageQueueFunctionDefinition {
  return {
    name: 'poisonRuns',
    trigger: { type: 'storageQueue', queueName: RUN_POISON_QUEUE, connection: 'AzureWebJobsStorage' },
    handler: createPoisonRunsHandler(getApp),
  };
}

/** The registered function (`functions/definitions.ts`). */
export const poisonRuns = poisonRunsFunction();
