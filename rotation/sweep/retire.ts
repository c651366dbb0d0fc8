/**
 * Disables previous versions past their grace period, for providers that keep old versions usable for a
 * while (jwt-secret: tokens signed with the previous key stay verifiable for `graceDays`). The retirer is
 * injected by provider kind (`SweepOptions.retirers`), so `rotation/` imports no provider.
 *
 * Only groups that can have something to retire are read: the current version (from the listing) was
 * created more than `graceDays` ago but less than `graceDays + RETIRE_CATCH_UP_DAYS` ago. Earlier, the
 * previous version is still in its grace period; later, an earlier sweep already retired it. So a vault
 * of 10,000 secrets costs version listings only for the few groups rotated about `graceDays` ago.
 */
import { describeError } from '../errors.js';
import { DAY_MS, settleLimit } from '../reports/index.js';
import { pick } from './queue-due.js';
import type { ManagedEntry, StepOutcome, SweepContext, SweepStep } from './types.js';

/** Sweeps that may be missed before a version past its grace period is no longer looked at. */
export const RETIRE_CATCH_UP_DAYS = 7;

export function retirementCandidates(
  ctx: Pick<SweepContext, 'managed' | 'retirers' | 'config' | 'now'>,
): ManagedEntry[] {
  const byGroup = new Map<string, ManagedEntry>();
  for (const entry of ctx.managed) {
    if (!ctx.retirers[entry.group.provider]) continue;
    const grace = entry.group.graceDays ?? ctx.config.defaults.graceDays;
    const created = entry.props.createdOn?.getTime();
    const age = created === undefined ? undefined : ctx.now.getTime() - created;
    const inReach =
      age === undefined || (age > grace * DAY_MS && age <= (grace + RETIRE_CATCH_UP_DAYS) * DAY_MS);
    if (inReach) byGroup.set(`${entry.group.vault}/${entry.group.id}`, entry);
  }
  return [...byGroup.values()];
}

export const retireVersionsStep: SweepStep = {
  name: 'retire-versions',
  async run(ctx: SweepContext): Promise<StepOutcome> {
    const candidates = retirementCandidates(ctx);
    const counts = { groups: candidates.length, disabled: 0, failed: 0 };
    const problems: StepOutcome['problems'] = [];
    const results = await settleLimit(candidates, ctx.concurrency, async (entry) => {
      const retire = ctx.retirers[entry.group.provider]!;
      return retire(
        ctx.deps.store,
        entry.group,
        ctx.now,
        entry.group.graceDays ?? ctx.config.defaults.graceDays,
      );
    });
    results.forEach((result, i) => {
      const entry = candidates[i]!;
      if (result.ok) {
        counts.disabled += result.value.length;
        for (const v of result.value) {
          ctx.deps.log.info('disabled a version past its grace period', {
            vault: entry.group.vault,
            secret: v.secret,
            version: v.version,
          });
        }
      } else {
        counts.failed += 1;
        problems.push({
          target: `${entry.group.vault}/${entry.group.id}`,
          ...pick(describeError(result.error)),
        });
      }
    });
    return {
      counts,
      problems,
      notes: counts.disabled > 0 ? [`disabled ${counts.disabled} version(s) past their grace period`] : [],
    };
  },
};
