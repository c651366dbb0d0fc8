/**
 * Resumes unfinished runs: a run `queued` or `running` that has not moved for `staleAfterMinutes` (its
 * queue message was lost or went to the poison queue, its worker died) is put on the queue again — the
 * worker takes the group's lease and resumes from the journal. A run that `failed` after it may have
 * written Key Vault (phase validated or later: siblings could be on different keys, consumers not
 * restarted) is retried through `enqueueRotation`, which keeps the failed-run cool-down.
 */
import { enqueueRotation } from '../engine/index.js';
import { describeError } from '../errors.js';
import { RUN_PHASES } from '../kinds.js';
import type { RunRecord, RunRequest } from '../ports.js';
import { groupKey, latestRelevantRun, settleLimit } from '../reports/index.js';
import { pick } from './queue-due.js';
import type { StepOutcome, SweepContext, SweepStep } from './types.js';

type Candidate = { run: RunRecord; why: 'stale' | 'failed-after-write' };

function mayHaveWritten(run: RunRecord): boolean {
  const index = RUN_PHASES.indexOf(run.phase);
  return index >= RUN_PHASES.indexOf('validated') && index < RUN_PHASES.indexOf('done');
}

export function unfinishedRuns(
  ctx: Pick<SweepContext, 'runsByGroup' | 'now' | 'staleAfterMinutes'>,
): Candidate[] {
  const staleBefore = ctx.now.getTime() - ctx.staleAfterMinutes * 60_000;
  const found: Candidate[] = [];
  for (const runs of ctx.runsByGroup.values()) {
    for (const run of runs) {
      if ((run.status === 'queued' || run.status === 'running') && Date.parse(run.updatedAt) < staleBefore) {
        found.push({ run, why: 'stale' });
      }
    }
    const latest = latestRelevantRun(runs);
    if (latest?.status === 'failed' && mayHaveWritten(latest))
      found.push({ run: latest, why: 'failed-after-write' });
  }
  return found;
}

function requestFor(ctx: SweepContext, candidate: Candidate): RunRequest {
  const { run } = candidate;
  const reason =
    candidate.why === 'stale'
      ? `sweep: resume run ${run.id} (${run.status} since ${run.updatedAt})`
      : `sweep: retry run ${run.id} (failed at ${run.error?.phase ?? run.phase})`;
  return {
    vault: run.vault,
    secret: run.secrets[0] ?? run.group,
    triggerVersion: run.triggerVersion,
    // A stale run is continued by its id (not every run's id is the one its trigger version names).
    ...(candidate.why === 'stale' ? { runId: run.id } : {}),
    trigger: { kind: 'sweep', reason },
    ...(run.compromised ? { compromised: true } : {}),
    requestedAt: ctx.deps.clock.now().toISOString(),
  };
}

export const resumeStep: SweepStep = {
  name: 'resume',
  async run(ctx: SweepContext): Promise<StepOutcome> {
    const candidates = unfinishedRuns(ctx);
    const counts = { stale: 0, retried: 0, unchanged: 0, failed: 0 };
    const problems: StepOutcome['problems'] = [];
    const results = await settleLimit(candidates, ctx.concurrency, async (candidate) => {
      const request = requestFor(ctx, candidate);
      if (candidate.why === 'stale') {
        // enqueueRotation only reports on a `running` run: its worker is gone, so the queue gets the request.
        await ctx.deps.queue.enqueue(request);
        return true;
      }
      const outcome = await enqueueRotation(ctx.deps, request);
      return outcome.kind === 'run' && outcome.enqueued;
    });
    results.forEach((result, i) => {
      const candidate = candidates[i]!;
      if (result.ok && result.value) ctx.queuedGroups.add(groupKey(candidate.run.vault, candidate.run.group));
      if (!result.ok) {
        counts.failed += 1;
        problems.push({ target: candidate.run.id, ...pick(describeError(result.error)) });
      } else if (!result.value) counts.unchanged += 1;
      else if (candidate.why === 'stale') counts.stale += 1;
      else counts.retried += 1;
    });
    const moved = counts.stale + counts.retried;
    return { counts, problems, notes: moved > 0 ? [`resumed ${moved} unfinished run(s)`] : [] };
  },
};
