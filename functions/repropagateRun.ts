/**
 * `repropagateRun` — `POST /api/runs/{id}/propagate` with an optional `{ reason }` (8 KiB at most):
 * restarts / notifies again the consumers that failed in a `propagated-with-errors` run, without
 * rotating again (`rotation/engine/repropagate.ts`). Enqueued for the worker; `200` with the run once the
 * re-propagation is recorded (its status worked out again), else `202` + `Location`. `404` unknown run,
 * `409` run in progress or superseded by a newer version, `400` a run with nothing to re-propagate.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import type { GetApp } from '../composition/app.js';
import { getRotatorApp } from '../composition/instance.js';
import { requestRepropagation } from '../rotation/engine/repropagate.js';
import { waitForRun } from '../rotation/engine/wait.js';
import { RotationError } from '../rotation/errors.js';
import type { HttpFunctionDefinition, HttpFunctionHandler } from './definition.js';
import { runIdParam } from './getRun.js';
import { callerOf } from './http/caller.js';
import { formatIssuePath, isJsonContentType, readBodyBytes, withErrorHandling } from './http/index.js';
import { httpWaitMs, runAnswer } from './http/run-response.js';

export const REPROPAGATE_MAX_BYTES = 8 * 1024;

export const repropagateBodySchema = z.strictObject({
  reason: z.string().trim().min(1).max(500).optional(),
});

/** The body is optional: empty means `{}`; anything else must be JSON matching the schema. */
async function readOptionalBody(request: HttpRequest): Promise<z.output<typeof repropagateBodySchema>> {
  const bytes = await readBodyBytes(request, REPROPAGATE_MAX_BYTES);
  const text = bytes.toString('utf8');
  if (text.trim() === '') return {};
  if (!isJsonContentType(request.headers.get('content-type'))) {
    throw new RotationError('BadRequest', 'The request body must be JSON (Content-Type: application/json).', {
      details: [{ path: 'Content-Type', message: 'expected application/json' }],
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RotationError('BadRequest', 'The request body is not valid JSON.', {
      details: [{ path: '$', message: 'malformed JSON' }],
    });
  }
  const parsed = repropagateBodySchema.safeParse(value);
  if (!parsed.success) {
    throw new RotationError('BadRequest', 'The request body is invalid.', {
      details: parsed.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })),
    });
  }
  return parsed.data;
}

export function createRepropagateRunHandler(getApp: GetApp): HttpFunctionHandler {
  return withErrorHandling(async (request: HttpRequest): Promise<HttpResponseInit> => {
    const app = await getApp();
    const deps = app.engine;
    const id = runIdParam(request);
    const body = await readOptionalBody(request);
    const caller = callerOf(request);
    const { requestedAt } = await requestRepropagation(deps, id, {
      kind: 'http',
      caller,
      ...(body.reason ? { reason: body.reason } : {}),
    });
    app.log.info('re-propagation requested over HTTP', { runId: id, caller });
    const recorded = (run: { repropagations?: { requestedAt: string }[] } | undefined) =>
      run?.repropagations?.some((r) => r.requestedAt === requestedAt)
        ? { kind: 'done' as const }
        : { kind: 'wait' as const };
    const { run, done } = await waitForRun(deps, id, recorded, { timeoutMs: httpWaitMs(app) });
    if (!run) throw new RotationError('NotFound', `run ${id} does not exist`);
    return runAnswer(run, { done });
  });
}

export const repropagateRunFunction: HttpFunctionDefinition = {
  name: 'repropagateRun',
  trigger: { type: 'http', methods: ['POST'], route: 'runs/{id}/propagate', authLevel: 'function' },
  handler: createRepropagateRunHandler(getRotatorApp),
};
