/**
 * Waiting for runs from a trigger (HTTP answers 200 when the run finished within `HTTP_WAIT_SECONDS`,
 * else 202): the trigger never rotates inline, it polls the journal with backoff on the engine clock
 * while the queue-triggered worker does the work.
 */
import type { Clock, Journal, RunRecord } from '../ports.js';
import { createRunIdentity } from './identity.js';
import { FINAL_STATUSES } from './policy.js';

export interface WaitOptions {
  timeoutMs: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /**
   * For batches: the runs were created in these vaults at or after `since`. Each poll round then
   * reads them with one journal query per vault instead of one read per run (a 500-run batch cost 500
   * reads a round); a run the query does not return (older, or a followed run) is read by id.
   */
  batch?: { vaults: readonly string[]; since: Date };
}

/**
 * What the caller waits for, given the run as the journal holds it: `done` (stop), `wait` (poll again),
 * or `follow` another run id (a compromise reported against a run that then finished normally is
 * handled by a follow-up run of the version it wrote).
 */
export type WaitVerdict = { kind: 'done' } | { kind: 'wait' } | { kind: 'follow'; id: string };
export type WaitPredicate = (run: RunRecord | undefined) => WaitVerdict;

export function isFinal(run: Pick<RunRecord, 'status'>): boolean {
  return FINAL_STATUSES.has(run.status);
}

/** Done when the run reached a final status. */
export const untilFinal: WaitPredicate = (run) => (run && isFinal(run) ? { kind: 'done' } : { kind: 'wait' });

/**
 * For compromised requests about `secret`: a final run that is not compromised is not the answer yet —
 * the worker escalates it (manual providers) or rotates again from the version it wrote.
 */
export function untilCompromiseHandled(secret: string): WaitPredicate {
  return (run) => {
    if (!run || !isFinal(run)) return { kind: 'wait' };
    if (run.compromised || run.status === 'failed' || run.status === 'skipped') return { kind: 'done' };
    if (run.status === 'manual-action-required') return { kind: 'wait' };
    const written = Object.entries(run.newVersions).find(
      ([name]) => name.toLowerCase() === secret.toLowerCase(),
    );
    if (!written) return { kind: 'done' };
    return { kind: 'follow', id: createRunIdentity(run.vault, run.group, written[1].toLowerCase()) };
  };
}

/**
 * Polls `id` until the predicate says done or the time is up. Returns the last run seen (undefined when
 * the journal has none) and whether it is done.
 */
export async function waitForRun(
  deps: { journal: Journal; clock: Clock },
  id: string,
  until: WaitPredicate,
  options: WaitOptions,
): Promise<{ run: RunRecord | undefined; done: boolean }> {
  const [result] = await waitForRuns(deps, [id], until, options);
  return result!;
}

/** Like `waitForRun` for several runs at once (one poll round reads every unfinished run). */
export async function waitForRuns(
  deps: { journal: Journal; clock: Clock },
  ids: readonly string[],
  until: WaitPredicate,
  options: WaitOptions,
): Promise<{ id: string; run: RunRecord | undefined; done: boolean }[]> {
  const deadline = deps.clock.now().getTime() + options.timeoutMs;
  const maxDelay = options.maxDelayMs ?? 2_000;
  let delay = options.initialDelayMs ?? 250;
  const state = ids.map((id) => ({ id, run: undefined as RunRecord | undefined, done: false }));
  for (;;) {
    const listed = await listBatch(deps.journal, options.batch, state.filter((e) => !e.done).length);
    for (const entry of state) {
      // A followed run may not exist yet; keep polling it until it does.
      for (let hops = 0; !entry.done && hops < 3; hops++) {
        const run = listed.get(entry.id) ?? (await deps.journal.get(entry.id))?.run;
        if (run) entry.run = run;
        const verdict = until(run);
        if (verdict.kind === 'done') entry.done = true;
        if (verdict.kind !== 'follow') break;
        entry.id = verdict.id;
      }
    }
    if (state.every((e) => e.done)) return state;
    if (deps.clock.now().getTime() + delay > deadline) return state;
    await deps.clock.sleep(delay);
    delay = Math.min(Math.ceil(delay * 1.5), maxDelay);
  }
}

/** The batch's runs by id, one query per vault; empty when there is no batch or one run is left. */
async function listBatch(
  journal: Journal,
  batch: WaitOptions['batch'],
  unfinished: number,
): Promise<Map<string, RunRecord>> {
  const runs = new Map<string, RunRecord>();
  if (!batch || unfinished <= 1) return runs;
  for (const vault of batch.vaults) {
    for await (const run of journal.list({ vault, since: batch.since })) runs.set(run.id, run);
  }
  return runs;
}
