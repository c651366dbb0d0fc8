/**
 * Rules that decide whether a run may start, resume, retry or only report (DESIGN.md, How work flows).
 * Pure functions over run records and the clock's "now", so they are easy to test on their own.
 */
import { ERROR_CODES, type ErrorCode, RotationError } from '../errors.js';
import { RUN_PHASES, type RunPhase, type RunStatus } from '../kinds.js';
import type { CredentialGroup, RunRecord, RunRequest } from '../ports.js';
import type { EngineSettings } from './deps.js';

/** Key Vault fires SecretNearExpiry 30 days before expiry: a shorter validity would rotate in a loop. */
export const MIN_VALIDITY_DAYS = 31;

/** Statuses after which a run only reports (some of them can be re-triggered, see `startDecision`). */
export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  'done',
  'revoked',
  'skipped',
  'failed',
  'manual-action-required',
  'propagated-with-errors',
]);

/** Skip reasons that go away by themselves: a later trigger for the same identity evaluates again. */
const RETRIGGERABLE_SKIPS: ReadonlySet<string> = new Set<ErrorCode>([
  ERROR_CODES.paused,
  ERROR_CODES.spacing,
]);

export function phaseIndex(phase: RunPhase): number {
  return RUN_PHASES.indexOf(phase);
}

/** Phases in which nothing has been issued yet. */
export function notStarted(run: RunRecord): boolean {
  return run.phase === 'queued' || run.phase === 'claimed';
}

export function isRetriggerableSkip(run: RunRecord): boolean {
  return run.status === 'skipped' && RETRIGGERABLE_SKIPS.has(run.error?.code ?? '');
}

/** A run that may still change Key Vault: in progress, or failed after it may have written a version. */
export function isUnfinished(run: RunRecord): boolean {
  return run.status === 'queued' || run.status === 'running' || run.status === 'failed';
}

export type StartDecision =
  | { action: 'start' }
  | { action: 'resume' }
  | { action: 'retry' }
  | { action: 'report'; reason: string; retryAt?: Date };

/**
 * What a trigger does to the run its identity maps to. `queued` starts; `running` resumes (its worker
 * died: we hold the lease now); `failed` retries from the failed phase when the trigger came after the
 * failure and the cool-down passed (HTTP skips the cool-down); a paused/spacing skip is evaluated again
 * by a later trigger; anything else only reports.
 */
export function startDecision(
  run: RunRecord,
  request: Pick<RunRequest, 'trigger' | 'requestedAt'>,
  now: Date,
  settings: EngineSettings,
): StartDecision {
  if (run.status === 'queued') return { action: 'start' };
  if (run.status === 'running') return { action: 'resume' };
  const newTrigger = run.finishedAt === undefined || request.requestedAt >= run.finishedAt;
  if (isRetriggerableSkip(run)) {
    return newTrigger ? { action: 'start' } : { action: 'report', reason: 'duplicate of a skipped trigger' };
  }
  if (run.status === 'failed') {
    if (!newTrigger) return { action: 'report', reason: 'duplicate of the trigger that failed' };
    // An operator asking now (HTTP or the CLI) does not wait out RETRY_FAILED_AFTER_MINUTES; events and
    // the sweep do, so a provider outage is not hammered by every redelivery.
    if (request.trigger.kind === 'http' || request.trigger.kind === 'cli') return { action: 'retry' };
    const retryAt = failedRetryAt(run, settings);
    if (now.getTime() >= retryAt.getTime()) return { action: 'retry' };
    return { action: 'report', reason: `failed run retries after ${retryAt.toISOString()}`, retryAt };
  }
  return { action: 'report', reason: `run already ${run.status}` };
}

export function failedRetryAt(run: RunRecord, settings: EngineSettings): Date {
  const failedAt = Date.parse(run.finishedAt ?? run.updatedAt);
  return new Date(failedAt + settings.retryFailedAfterMinutes * 60_000);
}

/** When a run's new credential went live for consumers (propagated, else promoted), if it did. */
function liveSince(run: RunRecord): Date | undefined {
  const entry =
    run.phases.findLast((p) => p.phase === 'propagated') ??
    run.phases.findLast((p) => p.phase === 'promoted');
  return entry ? new Date(entry.at) : undefined;
}

/** True when `run` may have written a version but has not reached `propagated`. */
function promotedButNotPropagated(run: RunRecord): boolean {
  if (run.status === 'running') return true;
  if (run.status !== 'failed') return false;
  const index = phaseIndex(run.phase);
  return index >= phaseIndex('validated') && index < phaseIndex('propagated');
}

/**
 * Spacing for a normal rotation: not while the previous run of the group has not reached `propagated`,
 * nor within `minIntervalHours` of it — a consumer that has not reloaded would lose its key. Returns the
 * reason to skip, or undefined when the run may start. Compromised runs do not call this.
 */
export function spacingReason(
  others: readonly RunRecord[],
  group: Pick<CredentialGroup, 'minIntervalHours'>,
  now: Date,
): string | undefined {
  const inFlight = others.find(promotedButNotPropagated);
  if (inFlight) {
    return `previous run ${inFlight.id} of this group has not reached propagated (status ${inFlight.status})`;
  }
  const windowMs = group.minIntervalHours * 3_600_000;
  let latest: { run: RunRecord; at: Date } | undefined;
  for (const run of others) {
    const at = liveSince(run);
    if (at && (!latest || at > latest.at)) latest = { run, at };
  }
  if (latest && now.getTime() - latest.at.getTime() < windowMs) {
    const next = new Date(latest.at.getTime() + windowMs).toISOString();
    return `previous run ${latest.run.id} went live at ${latest.at.toISOString()}; minIntervalHours ${group.minIntervalHours} keeps the next rotation until ${next}`;
  }
  return undefined;
}

export function checkValidity(group: Pick<CredentialGroup, 'id' | 'validityDays'>): void {
  if (!Number.isFinite(group.validityDays) || group.validityDays < MIN_VALIDITY_DAYS) {
    throw new RotationError(
      'ConfigInvalid',
      `group ${group.id}: validityDays must be at least ${MIN_VALIDITY_DAYS} (got ${group.validityDays}); Key Vault warns 30 days before expiry`,
      { details: [{ path: 'validityDays', message: `must be ≥ ${MIN_VALIDITY_DAYS}` }] },
    );
  }
}
