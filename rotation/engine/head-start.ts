/**
 * What a run reads whatever its journal row says — the group's current versions, the group's other runs
 * (spacing) and the provider's own preparation — started with the row's read instead of after it
 * (`npm run bench`: one round trip fewer before the claim). The Key Vault and provider reads leave first;
 * the row's read and the spacing query go out behind them (`behindCalls`). Only once the group's lease is
 * held: nothing else writes the group while these reads are used.
 */
import type { RunRecord, RunRequest } from '../ports.js';
import { behindCalls } from './behind-calls.js';
import type { EngineDeps } from './deps.js';
import { type GroupReads, prepareProvider, readGroupCurrents } from './flow.js';
import type { BoundProvider } from './provider.js';
import type { RunTarget } from './target.js';

/** Starts the reads; undefined when the kill switch is on (the run is skipped without reading). */
export function headStart(deps: EngineDeps, target: RunTarget, request: RunRequest): HeadStart | undefined {
  if (deps.settings.paused) return undefined; // the run is skipped without reading anything
  const bound = prepareProvider(deps, target.group);
  return {
    reads: readGroupCurrents(deps, target.group),
    bound,
    // The spacing query is built once the reads have left (`behindCalls`).
    others: request.compromised
      ? undefined
      : settle(behindCalls(() => otherRuns(deps, target.group, target.runId))),
  };
}

export interface HeadStart {
  reads: Promise<GroupReads>;
  bound: BoundProvider | undefined;
  others: Promise<PromiseSettledResult<RunRecord[]>> | undefined;
}

/** The outcome of a promise started ahead of its use (no unhandled rejection if it is never used). */
async function settle<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  const [result] = await Promise.allSettled([promise]);
  return result!;
}

/** The group's other runs: as read ahead, or read now when they were not. */
export async function othersOf(
  deps: EngineDeps,
  group: { vault: string; id: string },
  runId: string,
  prefetched: Promise<PromiseSettledResult<RunRecord[]>> | undefined,
): Promise<RunRecord[]> {
  if (!prefetched) return otherRuns(deps, group, runId);
  const early = await prefetched;
  if (early.status === 'rejected') throw early.reason;
  return early.value;
}

/** The group's other runs (for the spacing rule). */
async function otherRuns(deps: EngineDeps, group: { vault: string; id: string }, runId: string) {
  const others: RunRecord[] = [];
  for await (const other of deps.journal.list({ vault: group.vault, group: group.id })) {
    if (other.id !== runId) others.push(other);
  }
  return others;
}
