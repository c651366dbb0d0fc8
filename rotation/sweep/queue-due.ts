/**
 * Queues runs for secrets that are due (inside the 30-day window, or expired) but were never rotated: a
 * missed or dead-lettered `SecretNearExpiry`, a secret configured after its event fired. One request per
 * credential group (its earliest-expiring secret); groups with a run in progress or waiting for a human
 * are left alone. `enqueueRotation` is idempotent, so a group an event already queued is not queued twice.
 * Key Vault is read only for the groups queued here: once each, by the engine, to name the run by the
 * current version. A secret managed by its tags alone would cost a second read (the catalog reading its
 * tags to tell its provider); the listing returned those tags, so they are handed to the catalog first.
 */
import { enqueueRotation } from '../engine/index.js';
import { describeError } from '../errors.js';
import { groupBusy, groupKey, settleLimit } from '../reports/index.js';
import type { ManagedEntry, StepOutcome, SweepContext, SweepStep } from './types.js';

function waitsForHuman(entry: ManagedEntry): boolean {
  const run = entry.row.lastRun;
  if (run?.status !== 'manual-action-required') return false;
  return entry.row.created === undefined || entry.row.created <= run.at;
}

/** One entry per group: the member that expires first. */
export function dueGroups(
  ctx: Pick<SweepContext, 'managed' | 'runsByGroup' | 'queuedGroups'>,
): ManagedEntry[] {
  const byGroup = new Map<string, ManagedEntry>();
  for (const entry of ctx.managed) {
    if (!entry.row.inWindow || waitsForHuman(entry) || groupBusy(entry.row, ctx.runsByGroup)) continue;
    const key = groupKey(entry.group.vault, entry.group.id);
    if (ctx.queuedGroups.has(key)) continue;
    const seen = byGroup.get(key);
    if (!seen || (entry.row.expires ?? '') < (seen.row.expires ?? '')) byGroup.set(key, entry);
  }
  return [...byGroup.values()];
}

/**
 * Hands the catalog the tags the sweep listed for a secret it manages by tags alone, just before its run
 * is queued (the catalog keeps them as if read now). The engine then reads the current version once, to
 * name the run, and resolves the secret again from that read's tags (`resolveTarget`), so a listing a
 * little older than the catalog's cache never decides what the run does.
 */
function primeListedTags(ctx: SweepContext, entry: ManagedEntry): void {
  if (entry.secret.source !== 'tags') return;
  ctx.deps.catalog.primeTags?.(entry.group.vault, entry.props.name, entry.props.tags);
}

function reasonOf(entry: ManagedEntry): string {
  const days = entry.row.daysLeft ?? 0;
  return days < 0 ? `sweep: expired ${-days} days ago` : `sweep: due, expires in ${days} days`;
}

export const queueDueStep: SweepStep = {
  name: 'queue-due',
  async run(ctx: SweepContext): Promise<StepOutcome> {
    const due = dueGroups(ctx);
    const counts = { due: due.length, queued: 0, requeued: 0, unchanged: 0, failed: 0 };
    const problems: StepOutcome['problems'] = [];
    const results = await settleLimit(due, ctx.concurrency, async (entry) => {
      primeListedTags(ctx, entry);
      return enqueueRotation(ctx.deps, {
        vault: entry.group.vault,
        secret: entry.row.name,
        trigger: { kind: 'sweep', reason: reasonOf(entry) },
        requestedAt: ctx.deps.clock.now().toISOString(),
      });
    });
    results.forEach((result, i) => {
      const entry = due[i]!;
      if (!result.ok) {
        counts.failed += 1;
        problems.push({
          target: `${entry.group.vault}/${entry.row.name}`,
          ...pick(describeError(result.error)),
        });
        return;
      }
      const outcome = result.value;
      if (outcome.kind !== 'run') return;
      if (outcome.enqueued) ctx.queuedGroups.add(groupKey(entry.group.vault, entry.group.id));
      if (outcome.created && outcome.enqueued) counts.queued += 1;
      else if (outcome.enqueued) counts.requeued += 1;
      else counts.unchanged += 1;
    });
    const notes =
      counts.queued + counts.requeued > 0
        ? [`queued ${counts.queued + counts.requeued} run(s) for due secrets`]
        : [];
    return { counts, problems, notes };
  },
};

export function pick(error: { code: string; message: string }): { code: string; message: string } {
  return { code: error.code, message: error.message };
}
