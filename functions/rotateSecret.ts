/**
 * `rotateSecret` — `POST /api/secrets/{name}/rotate[?vault=NAME]`, on demand (an incident, a suspicion):
 * `{ reason, compromised?, dryRun?, ifCurrentVersion? }` (8 KiB at most).
 *
 * - `dryRun`: the plan (what would be issued, written, propagated, revoked, and what would block it) and
 *   read-only checks (config, Key Vault read access, provider reachability); nothing changes anywhere.
 * - Otherwise the run is enqueued (never rotated here) and the journal polled until the run is final or
 *   `HTTP_WAIT_SECONDS` pass: `200` with the run, or `202` + `Location: /api/runs/{id}`. A run that failed
 *   or was skipped answers with its error's status (422, 503 + Retry-After, 409, …) and the run.
 * - `409` when a run of the group is queued or running (a compromise report still goes through: the
 *   worker upgrades or follows up the running run), `412` when `ifCurrentVersion` is not current.
 * The caller (App Service authentication) and the reason are recorded on the run.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import type { GetApp } from '../composition/app.js';
import { getRotatorApp } from '../composition/instance.js';
import { enqueueRotation, readCurrent, resolveTarget, whereOf } from '../rotation/engine/index.js';
import { preflightChecks } from '../rotation/engine/preflight.js';
import { inProgressRunOf } from '../rotation/engine/run-lookup.js';
import { untilCompromiseHandled, untilFinal, waitForRun } from '../rotation/engine/wait.js';
import { RotationError } from '../rotation/errors.js';
import type { RunRequest } from '../rotation/ports.js';
import type { HttpFunctionDefinition, HttpFunctionHandler } from './definition.js';
import { callerOf } from './http/caller.js';
import { readJsonBody, withErrorHandling } from './http/index.js';
import { httpWaitMs, resolveVault, runAnswer, runInProgress, secretParam } from './http/run-response.js';

export const ROTATE_MAX_BYTES = 8 * 1024;

export const rotateBodySchema = z.strictObject({
  reason: z.string().trim().min(1, 'a reason is required').max(500),
  compromised: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  ifCurrentVersion: z
    .string()
    .regex(/^[0-9a-zA-Z]{1,64}$/, 'must be a Key Vault version id')
    .optional(),
});

export function createRotateSecretHandler(getApp: GetApp): HttpFunctionHandler {
  return withErrorHandling(
    async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
      const app = await getApp();
      const deps = app.engine;
      const vault = resolveVault(app, request);
      const name = secretParam(request);
      const body = await readJsonBody(request, rotateBodySchema, { maxBytes: ROTATE_MAX_BYTES });
      const caller = callerOf(request);
      const compromised = body.compromised === true;
      const runRequest: RunRequest = {
        vault,
        secret: name,
        trigger: { kind: 'http', caller, reason: body.reason },
        ...(compromised ? { compromised: true } : {}),
        ...(body.ifCurrentVersion ? { triggerVersion: body.ifCurrentVersion.toLowerCase() } : {}),
        requestedAt: deps.clock.now().toISOString(),
      };
      // One fresh read of the current version serves the whole request: it tells the catalog the tags
      // of a secret managed by them alone, names the run, decides `ifCurrentVersion`, and is what the
      // engine checks the request against when queuing (instead of reading again).
      const read = await readCurrent(deps, vault, name);
      const target = await resolveTarget(deps, { ...runRequest, triggerVersion: undefined }, read);

      if (body.ifCurrentVersion !== undefined) {
        const current = target.currentVersion ?? 'none';
        if (current !== body.ifCurrentVersion.toLowerCase()) {
          throw new RotationError(
            'VersionMismatch',
            `ifCurrentVersion ${body.ifCurrentVersion} is not the current version of ${target.secret.name} (${current})`,
            { details: [{ path: '$.ifCurrentVersion', message: `current version is ${current}` }] },
          );
        }
      }

      if (body.dryRun) {
        const outcome = await enqueueRotation(deps, { ...runRequest, dryRun: true }, { current: read });
        if (outcome.kind !== 'plan') throw new RotationError('InternalError', 'a dry run produced a run');
        const checks = await preflightChecks(deps, target.group);
        return {
          status: 200,
          jsonBody: { dryRun: true, caller, reason: body.reason, plan: outcome.plan, checks },
        };
      }

      const busy = compromised
        ? (await deps.journal.get(target.runId, whereOf(target.group)))?.run
        : await inProgressRunOf(deps.journal, target.group);
      if (
        busy &&
        (busy.status === 'queued' || busy.status === 'running') &&
        (!compromised || busy.compromised)
      ) {
        throw runInProgress(busy);
      }

      const outcome = await enqueueRotation(deps, runRequest, { current: read });
      if (outcome.kind !== 'run') throw new RotationError('InternalError', 'a rotation produced a plan');
      app.log.info('rotation requested over HTTP', {
        runId: outcome.run.id,
        secret: name,
        vault,
        compromised,
        caller,
        created: outcome.created,
      });
      const until = compromised ? untilCompromiseHandled(name) : untilFinal;
      const { run, done } = await waitForRun(deps, outcome.run.id, until, { timeoutMs: httpWaitMs(app) });
      return runAnswer(run ?? outcome.run, {
        done,
        secret: name,
        ...(body.ifCurrentVersion ? { ifCurrentVersion: true } : {}),
      });
    },
  );
}

export const rotateSecretFunction: HttpFunctionDefinition = {
  name: 'rotateSecret',
  trigger: { type: 'http', methods: ['POST'], route: 'secrets/{name}/rotate', authLevel: 'function' },
  handler: createRotateSecretHandler(getRotatorApp),
};
