/**
 * `submitSecretVersion` — `POST /api/secrets/{name}/versions[?vault=NAME]`: a human hands over a credential
 * minted in a manual provider's dashboard. Body `{ "value", "contentType"?, "with"?: { "<partner secret>":
 * "…" } }`, 32 KiB at most (413).
 *
 * Checked with the provider before anything is written: `201` + `Location` with the run (promoted as
 * `gen-N` to every secret of the group, the open task closed) and `revokeOld`, what to do with the
 * previous key in the dashboard (the body is the run as `GET /api/runs/{id}` shows it, with its `task`,
 * plus `revokeOld`). The worker propagates to consumers and ends the run; the answer waits for that up to
 * `HTTP_WAIT_SECONDS` (then the run is `done`, or `propagated-with-errors`), else shows it still running
 * at `promoted` — restarts and health checks never hold the call near the platform's 230 s cut-off.
 * `422` with the provider's reason, nothing written; `503` + `Retry-After` when the provider cannot be
 * asked; `409` while a run of the group is in progress; `404` for a secret the rotator does not manage;
 * `400` for a bad body or an automatic provider.
 * The value is never logged, echoed or journaled (`rotation/manual/submit.ts`).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import type { GetApp } from '../composition/app.js';
import { getRotatorApp } from '../composition/instance.js';
import { untilFinal, waitForRun } from '../rotation/engine/wait.js';
import { submitSecretVersion } from '../rotation/manual/submit.js';
import type { HttpFunctionDefinition, HttpFunctionHandler } from './definition.js';
import { callerOf } from './http/caller.js';
import { readJsonBody, withErrorHandling } from './http/index.js';
import { httpWaitMs, resolveVault, secretParam } from './http/run-response.js';
import { runLocation, runView } from './http/run-view.js';

/** DESIGN.md: 32 KiB for `/versions`. */
export const VERSIONS_MAX_BYTES = 32 * 1024;

/** Key Vault's own limit on a secret value (25 KiB). */
const MAX_VALUE_CHARS = 25 * 1024;
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

// Messages name the field and the rule only: zod never quotes the value here.
export const versionBodySchema = z.strictObject({
  value: z
    .string()
    .min(1, 'a value is required')
    .max(MAX_VALUE_CHARS, 'longer than Key Vault allows (25 KiB)'),
  contentType: z.string().trim().min(1).max(255).optional(),
  with: z
    .record(
      z.string().regex(SECRET_NAME, 'must be a Key Vault secret name'),
      z.string().min(1, 'a value is required').max(MAX_VALUE_CHARS, 'longer than Key Vault allows (25 KiB)'),
    )
    .optional(),
});

export function createSubmitSecretVersionHandler(getApp: GetApp): HttpFunctionHandler {
  return withErrorHandling(
    async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
      const app = await getApp();
      const vault = resolveVault(app, request);
      const name = secretParam(request);
      const body = await readJsonBody(request, versionBodySchema, { maxBytes: VERSIONS_MAX_BYTES });
      const caller = callerOf(request);
      const result = await submitSecretVersion(app.engine, {
        vault,
        secret: name,
        value: body.value,
        ...(body.contentType === undefined ? {} : { contentType: body.contentType }),
        ...(body.with === undefined ? {} : { with: body.with }),
        caller,
      });
      app.log.info('credential submitted and promoted', {
        runId: result.run.id,
        vault,
        secret: name,
        caller,
        credentialId: result.run.credentialId,
      });
      const waited = await waitForRun(app.engine, result.run.id, untilFinal, { timeoutMs: httpWaitMs(app) });
      const run = waited.run ?? result.run;
      return {
        status: 201,
        headers: { Location: runLocation(run.id) },
        // The run as every run-answering route shows it (with its task), plus what to do with the old key.
        jsonBody: {
          ...runView(run, name),
          ...(result.revokeOld ? { revokeOld: result.revokeOld } : {}),
        },
      };
    },
  );
}

export const submitSecretVersionFunction: HttpFunctionDefinition = {
  name: 'submitSecretVersion',
  trigger: { type: 'http', methods: ['POST'], route: 'secrets/{name}/versions', authLevel: 'function' },
  handler: createSubmitSecretVersionHandler(getRotatorApp),
};
