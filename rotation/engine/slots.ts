/**
 * `ROTATION_CONCURRENCY` across every worker: a run executes only while it holds one of N slot leases
 * (lock keys `_slots/<i>`; `_` cannot start a Key Vault name, so no `<vault>/<group>` key collides).
 * Blob leases make the bound global — every instance after a scale-out counts — unlike host.json's
 * `batchSize`, which bounds one instance only. Bursts (a compromise of everything) stay under Key Vault's
 * and ARM's throttling limits this way.
 *
 * A worker that finds every slot taken waits a little, then puts the request back on the queue with a
 * delay and completes the message: waiting by failing the message would spend its five dequeues and
 * send a healthy run to the poison queue during a long batch.
 */
import { RotationError } from '../errors.js';
import type { Clock, Lease, LockManager, Logger, RunQueue, RunRecord, RunRequest } from '../ports.js';
import { type EngineDeps, timingOf } from './deps.js';
import { acquireGroupLease, LeaseKeeper } from './lease-keeper.js';
import { rollbackRunId } from './rollback.js';
import { resolveManaged } from './run-lookup.js';
import { type RunTarget, resolveTarget } from './target.js';

export const DEFAULT_CONCURRENCY = 8;
export const SLOT_PREFIX = '_slots';

export interface SlotWaitOptions {
  /** How long a worker polls for a free slot before it defers the request. */
  waitMs: number;
  initialPollMs: number;
  maxPollMs: number;
  /** Delay of the re-queued request (plus up to 50 % jitter, so deferred runs do not return in a herd). */
  deferSeconds: number;
}

/**
 * A waiting worker picks up a slot freed in its own process at once, and one freed by another instance
 * within a second, for up to 30 s (runs take seconds); only then is the request deferred. The cost is one
 * lease attempt per slot not held here, per poll.
 */
export const DEFAULT_SLOT_WAIT: SlotWaitOptions = {
  waitMs: 30_000,
  initialPollMs: 250,
  maxPollMs: 1_000,
  deferSeconds: 5,
};

export function slotKey(index: number): string {
  return `${SLOT_PREFIX}/${index}`;
}

export function concurrencyOf(deps: Pick<EngineDeps, 'settings'>): number {
  const limit = deps.settings.concurrency ?? DEFAULT_CONCURRENCY;
  return Number.isInteger(limit) && limit >= 1 ? limit : DEFAULT_CONCURRENCY;
}

/**
 * Slots this process holds, per lock manager: a pass skips them (each would cost a storage call that is
 * bound to fail). With 7 of 8 slots busy in this instance, the 8th run used to probe ~4 slots on average
 * before it found the free one; now it probes one (found by `npm run bench`, issue 11).
 */
const heldHere = new WeakMap<LockManager, Set<number>>();

/**
 * Workers of this process waiting for a slot, per lock manager, oldest first. A slot let go here wakes
 * the oldest at once (it takes the slot in the next round trip instead of at its next poll, up to a
 * second later: with host.json fetching more messages than there are slots, those waits were the gaps
 * in a batch that `npm run bench` showed). Slots freed by other instances are still found by polling.
 */
const waitingHere = new WeakMap<LockManager, (() => void)[]>();

function wakeOneWaiter(locks: LockManager): void {
  waitingHere.get(locks)?.shift()?.();
}

/** Sleeps `ms` on the clock, or less when a slot of this process is let go meanwhile. */
async function sleepUntilSlotFreed(deps: { locks: LockManager; clock: Clock }, ms: number): Promise<void> {
  let queue = waitingHere.get(deps.locks);
  if (!queue) {
    queue = [];
    waitingHere.set(deps.locks, queue);
  }
  const woken = new AbortController();
  const wake = () => woken.abort();
  queue.push(wake);
  try {
    await deps.clock.sleep(ms, woken.signal);
  } catch (error) {
    if (!woken.signal.aborted) throw error;
  } finally {
    const index = queue.indexOf(wake);
    if (index >= 0) queue.splice(index, 1);
  }
}

/** A slot's keeper that forgets the slot as held by this process once it let go of it. */
class SlotKeeper extends LeaseKeeper {
  constructor(
    lease: Lease,
    clock: Clock,
    options: ConstructorParameters<typeof LeaseKeeper>[2],
    private readonly release: () => void,
  ) {
    super(lease, clock, options);
  }

  override async stop(): Promise<void> {
    try {
      await super.stop();
    } finally {
      this.release();
    }
  }
}

/**
 * One pass over the slots this process does not hold (from a random start, to spread contention);
 * undefined when all are taken.
 */
export async function tryAcquireSlot(
  deps: { locks: LockManager; clock: Clock; log: Logger },
  limit: number,
  timing: { leaseSeconds: number; leaseRenewEveryMs: number },
): Promise<LeaseKeeper | undefined> {
  let held = heldHere.get(deps.locks);
  if (!held) {
    held = new Set();
    heldHere.set(deps.locks, held);
  }
  const start = Math.floor(Math.random() * limit);
  for (let k = 0; k < limit; k++) {
    const index = (start + k) % limit;
    if (held.has(index)) continue;
    const askedAt = deps.clock.now().getTime();
    const lease = await deps.locks.tryAcquire(slotKey(index), timing.leaseSeconds);
    if (lease) {
      held.add(index);
      const mine = held;
      return new SlotKeeper(
        lease,
        deps.clock,
        {
          leaseSeconds: timing.leaseSeconds,
          renewEveryMs: timing.leaseRenewEveryMs,
          askedAt,
          log: deps.log,
        },
        () => {
          mine.delete(index);
          wakeOneWaiter(deps.locks);
        },
      );
    }
  }
  return undefined;
}

/** True when this process holds every slot itself: a pass would find none free (and costs nothing). */
export function allSlotsHeldHere(deps: { locks: LockManager }, limit: number): boolean {
  return (heldHere.get(deps.locks)?.size ?? 0) >= limit;
}

/** Polls for a slot for up to `options.waitMs` on the engine clock. */
export async function acquireRunSlot(
  deps: EngineDeps,
  options: SlotWaitOptions = DEFAULT_SLOT_WAIT,
): Promise<LeaseKeeper | undefined> {
  const limit = concurrencyOf(deps);
  const timing = timingOf(deps);
  const deadline = deps.clock.now().getTime() + options.waitMs;
  let delay = options.initialPollMs;
  for (;;) {
    const slot = await tryAcquireSlot(deps, limit, timing);
    if (slot) return slot;
    if (deps.clock.now().getTime() + delay > deadline) return undefined;
    await sleepUntilSlotFreed(deps, delay);
    delay = Math.min(delay * 2, options.maxPollMs);
  }
}

/**
 * Puts the request back on the queue with a delay and returns the run as the journal holds it. Throws a
 * transient error (the queue retries the message) when there is no journal row to return.
 */
export async function deferRun(
  deps: { queue: RunQueue; journal: EngineDeps['journal']; log: Logger },
  request: RunRequest,
  runId: string,
  limit: number,
  options: SlotWaitOptions = DEFAULT_SLOT_WAIT,
): Promise<RunRecord> {
  const row = await deps.journal.get(runId);
  const delaySeconds = Math.ceil(options.deferSeconds * (1 + Math.random() / 2));
  if (!row) {
    throw new RotationError('RunInProgress', `all ${limit} run slots are busy`, {
      transient: true,
      retryAfterSeconds: delaySeconds,
    });
  }
  await deps.queue.enqueue(request, { visibilityDelaySeconds: delaySeconds });
  deps.log.info('run deferred: every run slot is busy', { runId, limit, delaySeconds });
  return row.run;
}

/** The journal id a request's run has (rotation, rollback or re-propagation). */
export async function runIdOf(deps: EngineDeps, request: RunRequest): Promise<string> {
  if (request.action === 'repropagate' && request.runId) return request.runId;
  if (request.action === 'rollback' && request.triggerVersion) {
    const { group } = await resolveManaged(deps, request.vault, request.secret);
    return rollbackRunId(group.vault, group.id, request.triggerVersion);
  }
  return (await resolveTarget(deps, request)).runId;
}

/**
 * A run slot (ROTATION_CONCURRENCY, slots.ts) and the group's lease, asked for together: one round trip,
 * not two in a row. Throws `RunInProgress` (transient) when another worker holds the group; undefined when
 * every slot stayed busy (the caller defers the run).
 */
export async function takeSlotAndLease(
  deps: EngineDeps,
  target: Pick<RunTarget, 'group'>,
): Promise<{ slot: LeaseKeeper; lease: LeaseKeeper } | undefined> {
  const timing = timingOf(deps);
  const limit = concurrencyOf(deps);
  const groupLease = () => acquireGroupLease(deps, target.group.vault, target.group.id, timing);
  // This process holding every slot itself is the common case in a batch: wait without touching the group.
  if (!allSlotsHeldHere(deps, limit)) {
    const [slot, lease] = await Promise.allSettled([tryAcquireSlot(deps, limit, timing), groupLease()]);
    if (slot.status === 'fulfilled' && slot.value && lease.status === 'fulfilled') {
      return { slot: slot.value, lease: lease.value };
    }
    await Promise.all([
      slot.status === 'fulfilled' ? slot.value?.stop() : undefined,
      lease.status === 'fulfilled' ? lease.value.stop() : undefined,
    ]);
    if (lease.status === 'rejected') throw lease.reason;
    if (slot.status === 'rejected') throw slot.reason;
  }
  // Every slot was busy: wait for one, then take the group's lease (let go meanwhile, so no run of the
  // group waits behind one that cannot start).
  const waited = await acquireRunSlot(deps);
  if (!waited) return undefined;
  try {
    return { slot: waited, lease: await groupLease() };
  } catch (error) {
    await waited.stop();
    throw error;
  }
}
