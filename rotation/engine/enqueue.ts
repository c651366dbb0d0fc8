/**
 * What triggers call (Event Grid handler, sweep, HTTP, CLI): validate, record the run as `queued` and
 * put a request on the `rotation-runs` queue. Never rotates inline. Idempotent: a duplicate or late
 * trigger maps to the existing run and returns it.
 */
import { describeError } from '../errors.js';
import type { RunRecord, RunRequest } from '../ports.js';
import { sendAlert } from './alerts.js';
import type { EngineDeps } from './deps.js';
import { NO_VERSION } from './identity.js';
import { planFor, type RotationPlan } from './plan.js';
import { startDecision } from './policy.js';
import { createOrGet, newRunRecord, whereOf } from './records.js';
import { type CurrentRead, type RunTarget, resolveTarget } from './target.js';

export type EnqueueOutcome =
  | {
      kind: 'run';
      run: RunRecord;
      /** True when this call created the journal row. */
      created: boolean;
      /** True when a request was put on the queue (possibly delayed, see `delaySeconds`). */
      enqueued: boolean;
      delaySeconds?: number;
    }
  | { kind: 'plan'; plan: RotationPlan };

export interface EnqueueOptions {
  /**
   * The trigger's fresh read of the named secret's current version (`readCurrent`): it names the run,
   * or decides whether the request's version is still current, instead of a second read.
   */
  current?: CurrentRead;
}

export async function enqueueRotation(
  deps: EngineDeps,
  request: RunRequest,
  options: EnqueueOptions = {},
): Promise<EnqueueOutcome> {
  const target = await resolveTarget(deps, request, options.current);
  if (request.dryRun) return { kind: 'plan', plan: await planFor(deps, request, target) };
  const now = deps.clock.now();
  const fresh = newRunRecord({
    id: target.runId,
    group: target.group,
    triggerVersion: target.triggerVersion,
    request,
    now,
  });
  if (deps.settings.paused) return recordPaused(deps, target, fresh);

  const existing = await deps.journal.get(target.runId, whereOf(target.group));
  if (!existing && request.triggerVersion && !target.resumedFromTag) {
    // Always a fresh read: the trigger's own (`options.current`) or one made now, never a cached one.
    const current = options.current
      ? options.current.version
      : await deps.store.getCurrent(target.group.vault, target.secret.name);
    const currentVersion = current?.version.toLowerCase() ?? NO_VERSION;
    if (currentVersion !== target.triggerVersion) {
      const message = `skipped (stale): version ${target.triggerVersion} of ${target.secret.name} is no longer current (now ${currentVersion})`;
      const row = await createOrGet(deps.journal, finalRow(fresh, 'StaleTrigger', message, now), {
        checkedAbsent: true,
      });
      return { kind: 'run', run: row.run, created: row.created, enqueued: false };
    }
  }
  const row = existing
    ? { ...existing, created: false }
    : await createOrGet(deps.journal, fresh, { checkedAbsent: true });
  const message: RunRequest = { ...request, triggerVersion: target.triggerVersion };
  if (row.created) {
    await deps.queue.enqueue(message);
    deps.log.info('run queued', { runId: row.run.id, trigger: request.trigger.kind });
    return { kind: 'run', run: row.run, created: true, enqueued: true };
  }

  const decision = startDecision(row.run, request, now, deps.settings);
  // Compromise reported while a normal run of this identity is queued, running or done: the worker
  // upgrades it, or rotates again once it finished (see executeRun).
  const compromiseUpgrade = request.compromised === true && !row.run.compromised;
  if (!compromiseUpgrade && isFreshlyQueued(row.run, request, now)) {
    return { kind: 'run', run: row.run, created: false, enqueued: false };
  }
  if (decision.action === 'start' || decision.action === 'retry' || compromiseUpgrade) {
    await deps.queue.enqueue(message);
    return { kind: 'run', run: row.run, created: false, enqueued: true };
  }
  if (decision.action === 'report' && decision.retryAt) {
    // A failed run in its cool-down: the request waits on the queue until the retry is allowed.
    const delaySeconds = Math.ceil((decision.retryAt.getTime() - now.getTime()) / 1000);
    await deps.queue.enqueue(message, { visibilityDelaySeconds: delaySeconds });
    return { kind: 'run', run: row.run, created: false, enqueued: true, delaySeconds };
  }
  return { kind: 'run', run: row.run, created: false, enqueued: false };
}

/**
 * A duplicate trigger (Event Grid delivers at least once; the sweep) for a run queued less than this long
 * ago adds no message: the run's own message is on the queue. 20 copies of an event used to put 21
 * messages there. Later duplicates queue it again, in case its message was lost (a trigger whose enqueue
 * failed after creating the row is retried by Event Grid at 10 s, 30 s, 1 min, then 5 min).
 */
export const DUPLICATE_WINDOW_MS = 2 * 60_000;

/** True when `run` is queued and was queued within the window; HTTP callers always get a message. */
function isFreshlyQueued(run: RunRecord, request: RunRequest, now: Date): boolean {
  if (run.status !== 'queued' || request.trigger.kind === 'http') return false;
  const queuedAt = Date.parse(run.updatedAt);
  return Number.isFinite(queuedAt) && now.getTime() - queuedAt < DUPLICATE_WINDOW_MS;
}

function finalRow(run: RunRecord, code: string, message: string, now: Date): RunRecord {
  return {
    ...run,
    status: 'skipped',
    error: { code, message, phase: 'queued' },
    finishedAt: now.toISOString(),
  };
}

/** Kill switch: record `skipped (paused)` and alert; an existing run is left as it is. */
async function recordPaused(deps: EngineDeps, target: RunTarget, fresh: RunRecord): Promise<EnqueueOutcome> {
  const alerts = await sendAlert(deps, {
    kind: 'rotation-paused',
    severity: 'warning',
    title: `Rotation paused: ${target.group.id} not rotated`,
    text: `ROTATION_PAUSED is set; a ${fresh.trigger.kind} trigger for ${target.secret.name} was not queued. Unset it and trigger again.`,
    vault: target.group.vault,
    secrets: target.group.secrets.map((s) => s.name),
    runId: fresh.id,
    channels: [...target.group.channels],
  });
  const now = deps.clock.now();
  const paused = finalRow(fresh, 'RotationPaused', 'skipped (paused): ROTATION_PAUSED is set', now);
  paused.alerts.push(...alerts);
  const row = await createOrGet(deps.journal, paused);
  if (!row.created && row.run.status !== 'queued' && row.run.status !== 'running') {
    const updated = structuredClone(row.run);
    updated.alerts.push(...alerts);
    updated.updatedAt = now.toISOString();
    try {
      await deps.journal.replace(updated, row.etag);
      return { kind: 'run', run: updated, created: false, enqueued: false };
    } catch (error) {
      deps.log.warn('could not record the paused alert on the run', {
        runId: fresh.id,
        ...describeError(error),
      });
    }
  }
  return { kind: 'run', run: row.run, created: row.created, enqueued: false };
}
