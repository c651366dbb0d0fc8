/**
 * The one state the inventory shows per secret, and how it is derived. Pure: everything comes from the
 * Key Vault listing (no value reads), the group's latest run and the time of the last sweep.
 *
 * Precedence (first match wins): `failing` → `expired` → `manual-action-required` → `overdue` → `due` →
 * `no-expiry` → `unmanaged` → `ok`. Rotation states (`failing`, `manual-action-required`, `overdue`,
 * `due`, `no-expiry`) describe what the rotator does, so they apply to managed secrets only: an unmanaged
 * secret is `expired` or `unmanaged`, never `due` (nobody would rotate it).
 */
import type { RunRecord } from '../ports.js';

export const INVENTORY_STATES = [
  'failing',
  'expired',
  'manual-action-required',
  'overdue',
  'due',
  'no-expiry',
  'unmanaged',
  'ok',
] as const;
export type InventoryState = (typeof INVENTORY_STATES)[number];

/** Key Vault fires `SecretNearExpiry` 30 days before `exp`: the window in which a secret is due. */
export const DUE_WINDOW_DAYS = 30;
export const DAY_MS = 86_400_000;
/**
 * Without a sweep heartbeat, a secret counts as overdue once it has been in the window this long (a daily
 * sweep plus an hour of slack should have rotated it by then). A secret enters the window 30 days before
 * its expiry, or when its current version was written with an expiry already inside the window.
 */
export const OVERDUE_WITHOUT_HEARTBEAT_MS = 25 * 3_600_000;

/** True when the run's message went to the poison queue (worker recorded the alert or the code). */
export function isPoisoned(run: Pick<RunRecord, 'alerts' | 'error'>): boolean {
  return (
    run.alerts.some((a) => a.kind === 'poison-message') || /poison/i.test(run.error?.code ?? '') === true
  );
}

export function isInProgress(run: Pick<RunRecord, 'status'> | undefined): boolean {
  return run?.status === 'queued' || run?.status === 'running';
}

/** When a run ended (or last changed, while it runs). */
export function runTime(run: Pick<RunRecord, 'finishedAt' | 'updatedAt'>): string {
  return run.finishedAt ?? run.updatedAt;
}

export interface StateInput {
  managed: boolean;
  now: Date;
  expiresOn?: Date | undefined;
  /** When the current version was created (from the listing). */
  createdOn?: Date | undefined;
  /** The group's latest run that counts (see `latestRelevantRun`). */
  lastRun?: RunRecord | undefined;
  /** When the last sweep finished; undefined when no heartbeat is known. */
  lastSweepAt?: Date | undefined;
}

export interface StateDecision {
  state: InventoryState;
  /** Plain-text reason ops read next to the state. */
  reason: string;
  /** Inside the due window (or expired): the sweep queues a run for it. */
  inWindow: boolean;
  /** Whole days until expiry (negative when expired); undefined without expiry. */
  daysLeft?: number;
}

/**
 * A run outcome still applies only while the version it was about is current: when a version was written
 * after the run ended (someone fixed it by hand, or a later rotation), the outcome is history.
 */
function outcomeStillApplies(run: RunRecord, createdOn: Date | undefined): boolean {
  if (!createdOn) return true;
  return createdOn.getTime() <= Date.parse(runTime(run));
}

export function daysUntil(expiresOn: Date, now: Date): number {
  return Math.floor((expiresOn.getTime() - now.getTime()) / DAY_MS);
}

function inDays(days: number): string {
  if (days === 0) return 'today';
  return days === 1 ? 'in 1 day' : `in ${days} days`;
}

function agoDays(days: number): string {
  if (days === 0) return 'today';
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

export function deriveState(input: StateInput): StateDecision {
  const { now, expiresOn, lastRun } = input;
  const daysLeft = expiresOn ? daysUntil(expiresOn, now) : undefined;
  const msLeft = expiresOn ? expiresOn.getTime() - now.getTime() : undefined;
  const expired = msLeft !== undefined && msLeft <= 0;
  const inWindow = msLeft !== undefined && msLeft <= DUE_WINDOW_DAYS * DAY_MS;
  const base = { inWindow: input.managed && inWindow, ...(daysLeft !== undefined ? { daysLeft } : {}) };

  if (input.managed && lastRun && outcomeStillApplies(lastRun, input.createdOn)) {
    if (isPoisoned(lastRun)) {
      return {
        ...base,
        state: 'failing',
        reason: `last run was poisoned (${lastRun.error?.code ?? 'poison queue'})`,
      };
    }
    if (lastRun.status === 'failed') {
      const where = lastRun.error ? ` at ${lastRun.error.phase}: ${lastRun.error.code}` : '';
      return { ...base, state: 'failing', reason: `last run failed${where}` };
    }
  }
  if (expired && msLeft !== undefined) {
    return { ...base, state: 'expired', reason: `expired ${agoDays(Math.floor(-msLeft / DAY_MS))}` };
  }
  if (!input.managed) {
    return { ...base, state: 'unmanaged', reason: 'not in rotation.json, no rotation tags' };
  }
  if (lastRun?.status === 'manual-action-required' && outcomeStillApplies(lastRun, input.createdOn)) {
    return {
      ...base,
      state: 'manual-action-required',
      reason: 'waiting for a human to submit the new credential',
    };
  }
  if (inWindow && expiresOn && daysLeft !== undefined) {
    // It entered the window 30 days before expiry, or when this version was written inside it.
    const windowStart = Math.max(
      expiresOn.getTime() - DUE_WINDOW_DAYS * DAY_MS,
      input.createdOn?.getTime() ?? 0,
    );
    const sweptSince = input.lastSweepAt
      ? input.lastSweepAt.getTime() > windowStart
      : now.getTime() - windowStart >= OVERDUE_WITHOUT_HEARTBEAT_MS;
    if (sweptSince && !isInProgress(lastRun)) {
      const since = new Date(windowStart).toISOString().slice(0, 10);
      return { ...base, state: 'overdue', reason: `due since ${since}; not rotated after a sweep` };
    }
    const progress = isInProgress(lastRun) ? `; a run is ${lastRun?.status}` : '';
    return { ...base, state: 'due', reason: `expires ${inDays(daysLeft)}${progress}` };
  }
  if (daysLeft === undefined) {
    return { ...base, state: 'no-expiry', reason: 'the current version has no expiry date' };
  }
  return { ...base, state: 'ok', reason: `expires ${inDays(daysLeft)}` };
}

/**
 * The run whose outcome the inventory shows for a group: the newest that is not a `skipped` trigger
 * (a stale or duplicate event must not hide a failure), else the newest of all.
 */
export function latestRelevantRun(runs: readonly RunRecord[]): RunRecord | undefined {
  let latest: RunRecord | undefined;
  let latestAny: RunRecord | undefined;
  for (const run of runs) {
    if (!latestAny || newer(run, latestAny)) latestAny = run;
    if (run.status !== 'skipped' && (!latest || newer(run, latest))) latest = run;
  }
  return latest ?? latestAny;
}

function newer(a: RunRecord, b: RunRecord): boolean {
  return a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.updatedAt > b.updatedAt);
}
