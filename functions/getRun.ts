/**
 * `getRun` — `GET /api/runs/{id}`: a run as the journal holds it (the `Location` of a `202`), through
 * the same view as every run answer: versions, phases, consumers, what was revoked and what waits on a
 * human, caller and reason — never a value. Always `200` for a run that exists, whatever its status.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { GetApp } from '../composition/app.js';
import { getRotatorApp } from '../composition/instance.js';
import { RotationError } from '../rotation/errors.js';
import type { HttpFunctionDefinition, HttpFunctionHandler } from './definition.js';
import { withErrorHandling } from './http/index.js';
import { runLocation, runView } from './http/run-view.js';

/** Run ids are 32 lowercase hex characters (`createRunIdentity`). */
export const RUN_ID = /^[0-9a-f]{32}$/;

export function runIdParam(request: HttpRequest): string {
  const id = (request.params.id ?? '').toLowerCase();
  if (!RUN_ID.test(id)) throw new RotationError('NotFound', 'no such run: run ids are 32 hex characters');
  return id;
}

export function createGetRunHandler(getApp: GetApp): HttpFunctionHandler {
  return withErrorHandling(async (request: HttpRequest): Promise<HttpResponseInit> => {
    const app = await getApp();
    const id = runIdParam(request);
    const row = await app.engine.journal.get(id);
    if (!row) throw new RotationError('NotFound', `run ${id} does not exist`);
    return {
      status: 200,
      headers: { 'Content-Location': runLocation(id) },
      jsonBody: runView(row.run, request.query.get('secret') ?? undefined),
    };
  });
}

export const getRunFunction: HttpFunctionDefinition = {
  name: 'getRun',
  trigger: { type: 'http', methods: ['GET'], route: 'runs/{id}', authLevel: 'function' },
  handler: createGetRunHandler(getRotatorApp),
};
