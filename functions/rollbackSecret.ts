/**
 * `rollbackSecret` — `POST /api/secrets/{name}/rollback[?vault=NAME]` `{ reason }` (8 KiB at most):
 * re-promotes the credential that was current before the run that wrote the current version, when it
 * still works at the provider (under dual-key it does), propagates it and records the rollback as a run
 * (`rotation/engine/rollback.ts`). Enqueued for the worker like every run; `200` with the run when it
 * finished within `HTTP_WAIT_SECONDS`, else `202` + `Location`. `422` when the previous credential was
 * revoked (compromise) or its version disabled, or the provider rejects it; `409` while a run of the group
 * is in progress or the group is not consistently on one run's versions.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import type { GetApp } from '../composition/app.js';
import { getRotatorApp } from '../composition/instance.js';
import { requestRollback } from '../rotation/engine/rollback.js';
import { untilFinal, waitForRun } from '../rotation/engine/wait.js';
import type { HttpFunctionDefinition, HttpFunctionHandler } from './definition.js';
import { callerOf } from './http/caller.js';
import { readJsonBody, withErrorHandling } from './http/index.js';
import { httpWaitMs, resolveVault, runAnswer, runInProgress, secretParam } from './http/run-response.js';

export const ROLLBACK_MAX_BYTES = 8 * 1024;

export const rollbackBodySchema = z.strictObject({
  reason: z.string().trim().min(1, 'a reason is required').max(500),
});

export function createRollbackSecretHandler(getApp: GetApp): HttpFunctionHandler {
  return withErrorHandling(async (request: HttpRequest): Promise<HttpResponseInit> => {
    const app = await getApp();
    const deps = app.engine;
    const vault = resolveVault(app, request);
    const name = secretParam(request);
    const body = await readJsonBody(request, rollbackBodySchema, { maxBytes: ROLLBACK_MAX_BYTES });
    const caller = callerOf(request);
    const outcome = await requestRollback(deps, {
      vault,
      secret: name,
      trigger: { kind: 'rollback', caller, reason: body.reason },
    });
    if (!outcome.enqueued && (outcome.run.status === 'queued' || outcome.run.status === 'running')) {
      throw runInProgress(outcome.run);
    }
    app.log.info('rollback requested over HTTP', { runId: outcome.run.id, secret: name, vault, caller });
    const { run, done } = await waitForRun(deps, outcome.run.id, untilFinal, { timeoutMs: httpWaitMs(app) });
    return runAnswer(run ?? outcome.run, { done, secret: name });
  });
}

export const rollbackSecretFunction: HttpFunctionDefinition = {
  name: 'rollbackSecret',
  trigger: { type: 'http', methods: ['POST'], route: 'secrets/{name}/rollback', authLevel: 'function' },
  handler: createRollbackSecretHandler(getRotatorApp),
};
