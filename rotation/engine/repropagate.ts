/**
 * Re-propagation: restarts / notifies again the consumers that failed in a finished run, without
 * rotating again (`POST /api/runs/{id}/propagate`). Allowed while the run's versions are still what
 * Key Vault serves; the run's status is worked out again (`propagated-with-errors` → `done`/`revoked`
 * when every consumer now has the credential), and a compromised run then disables the leaked versions
 * it had to leave enabled. Each re-propagation is recorded in `RunRecord.repropagations`.
 */
import { describeError, RotationError } from '../errors.js';
import type { ConsumerOutcome, RunRecord, RunRequest, Trigger } from '../ports.js';
import { disabledEntry, disableLeakedVersions } from './compromise.js';
import { type EngineDeps, timingOf } from './deps.js';
import { RunFlow } from './flow.js';
import { acquireGroupLease } from './lease-keeper.js';
import { enterPhase, RunWriter } from './records.js';
import { resolveManaged } from './run-lookup.js';
import { finalStatus } from './steps-promote.js';

/** Consumers of the run that failed (by name). */
export function failedConsumers(run: Pick<RunRecord, 'consumers'>): string[] {
  return run.consumers.filter((c) => c.status === 'failed').map((c) => c.name);
}

/** Throws when the run cannot be re-propagated now; returns the run otherwise. */
export async function checkRepropagation(
  deps: Pick<EngineDeps, 'journal' | 'store'>,
  runId: string,
): Promise<RunRecord> {
  const run = (await deps.journal.get(runId))?.run;
  if (!run) throw new RotationError('NotFound', `run ${runId} does not exist`);
  if (run.status === 'queued' || run.status === 'running') {
    throw new RotationError('RunInProgress', `run ${run.id} is ${run.status}`, {
      details: [{ path: 'runId', message: run.id }],
    });
  }
  if (run.phase !== 'done' || failedConsumers(run).length === 0) {
    throw new RotationError(
      'BadRequest',
      `run ${run.id} is ${run.status}: only a finished run whose consumers failed (propagated-with-errors) can be re-propagated`,
    );
  }
  for (const [secret, version] of Object.entries(run.newVersions)) {
    const current = await deps.store.getCurrent(run.vault, secret);
    if (current?.version !== version) {
      throw new RotationError(
        'StaleTrigger',
        `run ${run.id} is superseded: ${secret} now serves version ${current?.version ?? 'none'}, not ${version}`,
      );
    }
  }
  return run;
}

/** Checks and enqueues a re-propagation; returns the run as it is now. */
export async function requestRepropagation(
  deps: EngineDeps,
  runId: string,
  trigger: Trigger,
): Promise<{ run: RunRecord; requestedAt: string }> {
  if (deps.settings.paused) {
    throw new RotationError('RotationPaused', 'ROTATION_PAUSED is set: re-propagation is paused too');
  }
  const run = await checkRepropagation(deps, runId);
  const request: RunRequest = {
    vault: run.vault,
    secret: run.secrets[0]!,
    triggerVersion: run.triggerVersion,
    trigger,
    requestedAt: deps.clock.now().toISOString(),
    action: 'repropagate',
    runId: run.id,
  };
  await deps.queue.enqueue(request);
  deps.log.info('re-propagation queued', { runId: run.id, consumers: failedConsumers(run) });
  return { run, requestedAt: request.requestedAt };
}

/** Merges new outcomes over the old ones, by consumer name. */
function mergeOutcomes(old: ConsumerOutcome[], fresh: ConsumerOutcome[]): ConsumerOutcome[] {
  const byName = new Map(fresh.map((o) => [o.name, o]));
  return old.map((o) => byName.get(o.name) ?? o);
}

/** The worker's side, under the group's lease. */
export async function executeRepropagation(deps: EngineDeps, request: RunRequest): Promise<RunRecord> {
  if (!request.runId) throw new RotationError('BadRequest', 'a repropagate request needs runId');
  const { group } = await resolveManaged(deps, request.vault, request.secret);
  const keeper = await acquireGroupLease(deps, group.vault, group.id, timingOf(deps));
  try {
    const row = await deps.journal.get(request.runId);
    if (!row) throw new RotationError('NotFound', `run ${request.runId} does not exist`);
    const writer = new RunWriter(deps.journal, deps.clock, row, keeper);
    const done = row.run.repropagations?.some((r) => r.requestedAt === request.requestedAt);
    if (done) return writer.snapshot();
    try {
      await checkRepropagation(deps, request.runId);
    } catch (error) {
      // Nothing to do any more (another re-propagation fixed it, a newer run took over): report and stop.
      deps.log.warn('re-propagation not needed', { runId: request.runId, ...describeError(error) });
      return writer.snapshot();
    }
    const flow = new RunFlow(deps, group, request, writer);
    const failed = new Set(failedConsumers(writer.run));
    const subset = { ...group, consumers: group.consumers.filter((c) => failed.has(c)) };
    // A propagator that throws (storage or ARM down) leaves the run as it was; the queue retries.
    await writer.confirmHeld(); // telling consumers acts on the outside world
    const outcomes = await deps.propagator.propagate(writer.snapshot(), subset);
    const gone = [...failed].filter((name) => !group.consumers.includes(name));
    const now = deps.clock.now().toISOString();
    const removed: ConsumerOutcome[] = gone.map((name) => ({
      name,
      status: 'skipped',
      detail: 'no longer a consumer of the group',
      at: now,
      attempts: 0,
    }));
    const merged = mergeOutcomes(writer.run.consumers, [...outcomes, ...removed]);
    const stillFailed = merged.filter((o) => o.status === 'failed');
    const alerts =
      stillFailed.length === 0
        ? []
        : await flow.alert(
            'propagation-failed',
            'warning',
            `Consumers of ${group.id} still did not pick up the new credential`,
            `Run ${writer.run.id}: re-propagation failed for ${stillFailed
              .map((o) => `${o.name} (${o.detail ?? 'failed'})`)
              .join(', ')}.`,
          );
    await writer.confirmHeld(); // propagation may have taken a while; disabling versions acts too
    const leaked = await disableLeakedVersions(deps, group, { ...writer.run, consumers: merged });
    const at = deps.clock.now().toISOString();
    await writer.save((d) => {
      d.consumers = merged;
      enterPhase(d, 'propagated', deps.clock.now());
      d.revoked.push(...leaked.disabled.map(disabledEntry));
      d.alerts.push(...alerts);
      d.repropagations = [
        ...(d.repropagations ?? []),
        {
          requestedAt: request.requestedAt,
          at,
          ...(request.trigger.caller ? { caller: request.trigger.caller } : {}),
          ...(request.trigger.reason ? { reason: request.trigger.reason } : {}),
          consumers: subset.consumers,
        },
      ];
      enterPhase(d, 'done', deps.clock.now());
      d.status = finalStatus(d);
      d.finishedAt = at;
    });
    return writer.snapshot();
  } finally {
    await keeper.stop();
  }
}
