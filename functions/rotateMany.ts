/**
 * `rotateMany` — `POST /api/rotations[?vault=NAME]` (64 KiB at most):
 * `{ select: { names: [...] } | { provider } | { tag: { K: V } } | { all: true }, reason, compromised?,
 *    dryRun?, planId? }`.
 *
 * One run per credential group the selection touches, enqueued with bounded parallelism; how many execute
 * at once is bounded by `ROTATION_CONCURRENCY` run slots in the worker. The answer is
 * `{ summary, results: [one per selected secret] }`: `200` when every run finished within
 * `HTTP_WAIT_SECONDS`, else `202` (each result has its run's `location`). `dryRun` answers with the plan,
 * the read-only checks and a `planId`; `all` + `compromised` requires that `planId` (valid 15 minutes,
 * bound to the selection and to every group's current version) — a deliberate two-step against a
 * mis-click. Unmanaged names are a 404 and nothing is enqueued.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import type { GetApp } from '../composition/app.js';
import { getRotatorApp } from '../composition/instance.js';
import {
  type BatchInput,
  type GroupPlan,
  type GroupStart,
  planBatch,
  startBatch,
} from '../rotation/engine/batch.js';
import { concurrencyOf } from '../rotation/engine/slots.js';
import { isFinal, untilCompromiseHandled, untilFinal, waitForRuns } from '../rotation/engine/wait.js';
import { RotationError } from '../rotation/errors.js';
import { PROVIDER_KINDS } from '../rotation/kinds.js';
import type { RunRecord } from '../rotation/ports.js';
import type { HttpFunctionDefinition, HttpFunctionHandler } from './definition.js';
import { callerOf } from './http/caller.js';
import { readJsonBody, withErrorHandling } from './http/index.js';
import { httpWaitMs, vaultScope } from './http/run-response.js';
import { runLocation } from './http/run-view.js';

export const ROTATIONS_MAX_BYTES = 64 * 1024;

const secretName = z.string().regex(/^[0-9a-zA-Z-]{1,127}$/, 'must be a Key Vault secret name');

export const selectionSchema = z.union([
  z.strictObject({ names: z.array(secretName).min(1).max(1000) }),
  z.strictObject({ provider: z.enum(PROVIDER_KINDS) }),
  z.strictObject({
    tag: z
      .record(z.string().trim().min(1).max(512), z.string().max(256))
      .refine((tags) => Object.keys(tags).length > 0, 'name at least one tag'),
  }),
  z.strictObject({ all: z.literal(true) }),
]);

export const rotationsBodySchema = z.strictObject({
  select: selectionSchema,
  reason: z.string().trim().min(1, 'a reason is required').max(500),
  compromised: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  planId: z.string().max(100).optional(),
});

export interface SecretResult {
  vault: string;
  secret: string;
  group: string;
  provider: string;
  runId?: string;
  location?: string;
  status: string;
  compromised?: boolean;
  credentialId?: string;
  newVersion?: string;
  revoked?: string[];
  pendingHuman?: string[];
  error?: { code: string; message: string };
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function runResult(entry: GroupStart, secret: string, run: RunRecord | undefined): SecretResult {
  const base = { vault: entry.vault, secret, group: entry.group.id, provider: entry.group.provider };
  if (!run) return { ...base, status: 'error', ...(entry.error ? { error: entry.error } : {}) };
  const newVersion = run.newVersions[secret];
  return {
    ...base,
    runId: run.id,
    location: runLocation(run.id),
    status: run.status,
    compromised: run.compromised,
    ...(run.credentialId ? { credentialId: run.credentialId } : {}),
    ...(newVersion ? { newVersion } : {}),
    revoked: [...run.revoked],
    pendingHuman: [...run.pendingHuman],
    ...(run.error ? { error: { code: run.error.code, message: run.error.message } } : {}),
  };
}

function planResults(groups: GroupPlan[]) {
  return groups.flatMap((g) =>
    g.selected.map((secret) => ({
      vault: g.vault,
      secret,
      group: g.group.id,
      provider: g.group.provider,
      ...(g.plan
        ? {
            runId: g.plan.runId,
            wouldRotate: g.plan.wouldRotate && g.checks.every((c) => c.ok || c.check === 'provider'),
            blockers: g.plan.blockers,
            issue: g.plan.issue,
            revoke: g.plan.revoke,
            propagate: g.plan.propagate,
            currentVersion: g.plan.secrets.find((s) => s.name.toLowerCase() === secret.toLowerCase())
              ?.currentVersion,
          }
        : { wouldRotate: false }),
      checks: g.checks,
      ...(g.error ? { error: g.error } : {}),
    })),
  );
}

export function createRotateManyHandler(getApp: GetApp): HttpFunctionHandler {
  return withErrorHandling(async (request: HttpRequest): Promise<HttpResponseInit> => {
    const app = await getApp();
    const deps = app.engine;
    const vaults = vaultScope(app, request);
    const body = await readJsonBody(request, rotationsBodySchema, { maxBytes: ROTATIONS_MAX_BYTES });
    const caller = callerOf(request);
    const compromised = body.compromised === true;
    const input: BatchInput = {
      selection: body.select,
      vaults,
      configured: app.config.secrets,
      compromised,
      trigger: { kind: 'http', caller, reason: body.reason },
      ...(body.planId !== undefined ? { planId: body.planId } : {}),
    };
    const concurrency = concurrencyOf(deps);

    if (body.dryRun) {
      const plan = await planBatch(deps, input);
      const results = planResults(plan.groups);
      return {
        status: 200,
        jsonBody: {
          dryRun: true,
          planId: plan.planId,
          planExpiresAt: plan.expiresAt,
          summary: {
            secrets: results.length,
            groups: plan.groups.length,
            wouldRotate: results.filter((r) => r.wouldRotate).length,
            compromised,
            concurrency,
            caller,
            reason: body.reason,
          },
          results,
        },
      };
    }

    const since = deps.clock.now();
    const started = await startBatch(deps, input);
    const failures = started.filter((s) => s.error);
    const first = failures[0]?.error;
    if (first && failures.length === started.length && UNAVAILABLE.has(first.code)) {
      // Nothing could be queued at all (storage or Key Vault down): 503 + Retry-After, not a list of errors.
      throw new RotationError('AzureUnavailable', `no run could be queued: ${first.message}`, {
        transient: true,
      });
    }
    app.log.info('batch rotation requested over HTTP', {
      groups: started.length,
      failed: failures.length,
      compromised,
      caller,
    });
    const ids = [...new Set(started.flatMap((s) => (s.outcome ? [s.outcome.run.id] : [])))];
    const until = compromised ? (run: RunRecord | undefined) => waitVerdict(run, started) : untilFinal;
    // One journal query per vault and poll round for the whole batch, not one read per run.
    const batch = { vaults: [...new Set(started.map((s) => s.vault))], since };
    const waited = await waitForRuns(deps, ids, until, { timeoutMs: httpWaitMs(app), batch });
    const latest = new Map<string, RunRecord | undefined>(ids.map((id, i) => [id, waited[i]?.run]));
    const results = started.flatMap((entry) =>
      entry.selected.map((secret) =>
        runResult(
          entry,
          secret,
          entry.outcome ? (latest.get(entry.outcome.run.id) ?? entry.outcome.run) : undefined,
        ),
      ),
    );
    const finished = waited.every((w) => w.done);
    return {
      status: finished ? 200 : 202,
      jsonBody: {
        summary: {
          secrets: results.length,
          groups: started.length,
          finished: waited.filter((w) => w.done).length,
          unfinished: waited.filter((w) => !w.done).length,
          byStatus: countBy(results.map((r) => r.status)),
          pendingHuman: results.reduce((n, r) => n + (r.pendingHuman?.length ?? 0), 0),
          compromised,
          concurrency,
          caller,
          reason: body.reason,
        },
        results,
      },
    };
  });
}

const UNAVAILABLE = new Set(['AzureUnavailable', 'ProviderUnavailable']);

/** Compromised batches wait per group for the compromise to be handled (see `untilCompromiseHandled`). */
function waitVerdict(run: RunRecord | undefined, started: GroupStart[]) {
  if (!run) return { kind: 'wait' as const };
  const entry = started.find((s) => s.vault === run.vault && s.group.id === run.group);
  if (!entry) return isFinal(run) ? { kind: 'done' as const } : { kind: 'wait' as const };
  return untilCompromiseHandled(entry.selected[0]!)(run);
}

export const rotateManyFunction: HttpFunctionDefinition = {
  name: 'rotateMany',
  trigger: { type: 'http', methods: ['POST'], route: 'rotations', authLevel: 'function' },
  handler: createRotateManyHandler(getRotatorApp),
};
