/**
 * Holds the group lease for as long as a run lives: renews it on the clock in the background, and lets
 * the run check, before every journal write, that it still owns the group.
 *
 * Before a step acts on the outside world the run needs a *fresh* confirmation: one that storage gave
 * no more than `freshMs` ago. When the confirmation in hand would be stale by then, the run asks for a new
 * one alongside the journal write that precedes the step (`RunWriter.save` → `confirmAhead`), so it costs
 * no round trip of its own; only a run that was held up between that write and its step (a pause, a slow
 * write) confirms again, on its own, before it acts (`confirmFresh`).
 *
 * A confirmation is dated from when it was *asked*, never from when its answer was read: an answer can
 * sit unread in a socket while the process is paused, and the lease be broken and the group rotated by
 * another worker meanwhile (crash-resume's stall cases found this in CI). And a step never acts on a
 * confirmation storage did not give: when asking fails, the step fails (transiently) instead of acting on
 * an older renewal, because a lease can be broken (an operator, a test) long before it would expire.
 */
import { describeError, isRotationError, RotationError } from '../errors.js';
import type { Clock, Lease, LockManager, Logger } from '../ports.js';
import { groupLeaseKey } from './identity.js';

/**
 * How long `confirmFresh` keeps asking for a fresh confirmation, as a share of the lease's duration. Each
 * ask renews the lease, so the lease itself never runs short meanwhile; giving up after a fixed number of
 * late answers turned a few slow seconds of storage (CI under load: three answers over 500 ms in a row)
 * into a failed run, which waits `RETRY_FAILED_AFTER_MINUTES` — a compromise response among them.
 */
const FRESH_BUDGET_SHARE = 0.5;

export class LeaseKeeper {
  private readonly abort = new AbortController();
  private lostError: RotationError | undefined;
  private lastRenewedAt: number;
  /** When storage last answered that the lease is ours (acquired or renewed). */
  private confirmedAt: number;
  private readonly loop: Promise<void>;

  constructor(
    private readonly lease: Lease,
    private readonly clock: Clock,
    private readonly options: {
      leaseSeconds: number;
      renewEveryMs: number;
      /** How old a confirmation may be when a step acts on it (see the class comment). */
      freshMs?: number;
      /** When the lease was asked for (the lease runs, and was confirmed, from then); default now. */
      askedAt?: number;
      log: Logger;
    },
  ) {
    this.lastRenewedAt = options.askedAt ?? clock.now().getTime();
    this.confirmedAt = this.lastRenewedAt;
    this.loop = this.renewLoop();
  }

  get key(): string {
    return this.lease.key;
  }

  /** Throws `LeaseLost` (transient) when another worker may own the group now. */
  assertHeld(): void {
    if (this.lostError) throw this.lostError;
    const expired = this.clock.now().getTime() - this.lastRenewedAt >= this.options.leaseSeconds * 1000;
    if (expired) {
      this.lostError = new RotationError('LeaseLost', `lease on ${this.key} expired before it was renewed`, {
        transient: true,
      });
      throw this.lostError;
    }
  }

  /**
   * Renews the lease now, before a step acts on the outside world (regenerates a key, writes Key Vault):
   * a worker that stalled past its lease (a long pause, a partition) must find out before it acts, not at
   * its next journal write — by then it may have regenerated the key another worker has just promoted.
   * Throws `LeaseLost` when storage says the lease is not ours, and the storage error (transient) when it
   * does not answer: the lease may be ours still, but nothing confirms it (see the class comment).
   */
  async confirm(): Promise<void> {
    this.assertHeld();
    const asked = this.clock.now().getTime();
    try {
      await this.lease.renew();
    } catch (error) {
      if (isRotationError(error, 'LeaseLost')) {
        this.lostError = error;
        this.options.log.error('lease lost', { lease: this.key });
      }
      throw error;
    }
    this.renewed(asked);
  }

  /**
   * Throws unless storage confirmed the lease no more than `freshMs` ago: a younger confirmation is taken
   * as is (see the class comment); otherwise the lease is renewed first (`confirm`). A renewal whose
   * answer came back later than `freshMs` after it was asked (the process paused meanwhile, or storage was
   * slow) is not fresh either: it is asked again, until one is, for at most half the lease's duration
   * ({@link FRESH_BUDGET_SHARE}); then it fails, transiently.
   */
  async confirmFresh(): Promise<void> {
    this.assertHeld();
    const freshMs = this.options.freshMs ?? 0;
    if (this.confirmedWithin(freshMs)) return;
    const started = this.clock.now().getTime();
    const budgetMs = this.options.leaseSeconds * 1000 * FRESH_BUDGET_SHARE;
    for (;;) {
      await this.confirm();
      if (freshMs === 0 || this.confirmedWithin(freshMs)) return;
      if (this.clock.now().getTime() - started >= budgetMs) {
        throw new RotationError(
          'AzureUnavailable',
          `storage took over ${freshMs} ms to confirm the lease on ${this.key}, every time for ${Math.round(budgetMs / 1000)} s: not acting on it`,
          { transient: true },
        );
      }
    }
  }

  /**
   * Called alongside a journal write that a step follows: confirms now unless the confirmation in hand is
   * younger than half of `freshMs` (then it is still fresh when the step starts, a write later). A fast
   * run is thus not charged a renewal per phase; what a step acts on is still checked by `confirmFresh`.
   * A storage error here is only logged: the step's `confirmFresh` asks again and decides.
   */
  async confirmAhead(): Promise<void> {
    this.assertHeld();
    if (this.confirmedWithin((this.options.freshMs ?? 0) / 2)) return;
    try {
      await this.confirm();
    } catch (error) {
      if (isRotationError(error, 'LeaseLost')) throw error;
      this.options.log.warn('lease confirmation failed; the next step asks again', {
        lease: this.key,
        ...describeError(error),
      });
    }
  }

  private confirmedWithin(ms: number): boolean {
    const age = this.clock.now().getTime() - this.confirmedAt;
    return age >= 0 && age < ms;
  }

  /**
   * A renewal asked for at `askedAt` succeeded: the lease runs for `leaseSeconds` from then, and was
   * confirmed then (not when the answer was read: see the class comment). Two renewals that overlap may
   * answer out of order; the older one then wins, which only makes the next step ask sooner. Never a
   * maximum: a clock that stepped back would pin a time in the future that nothing could be fresher than.
   */
  private renewed(askedAt: number): void {
    this.lastRenewedAt = askedAt;
    this.confirmedAt = askedAt;
  }

  /** Stops renewing and releases the lease. Never throws: a lease left behind expires by itself. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('lease keeper stopped'));
    await this.loop;
    if (this.lostError) return;
    try {
      await this.lease.release();
    } catch (error) {
      this.options.log.warn('could not release lease; it expires by itself', {
        lease: this.key,
        ...describeError(error),
      });
    }
  }

  private async renewLoop(): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted && !this.lostError) {
      try {
        await this.clock.sleep(this.options.renewEveryMs, signal);
      } catch (error) {
        if (!signal.aborted) {
          this.options.log.error('lease keeper stopped: clock failed', {
            lease: this.key,
            ...describeError(error),
          });
        }
        return;
      }
      const asked = this.clock.now().getTime();
      try {
        await this.lease.renew();
        this.renewed(asked);
      } catch (error) {
        if (isRotationError(error, 'LeaseLost')) {
          this.lostError = error;
          this.options.log.error('lease lost', { lease: this.key });
          return;
        }
        this.options.log.warn('lease renewal failed; retrying', { lease: this.key, ...describeError(error) });
      }
    }
  }
}

/**
 * Takes the group's lease or throws a transient `RunInProgress` (the queue message retries later):
 * never two runs of one group at once.
 */
export async function acquireGroupLease(
  deps: { locks: LockManager; clock: Clock; log: Logger },
  vault: string,
  group: string,
  timing: { leaseSeconds: number; leaseRenewEveryMs: number; leaseFreshMs?: number },
): Promise<LeaseKeeper> {
  const key = groupLeaseKey(vault, group);
  const askedAt = deps.clock.now().getTime();
  const lease = await deps.locks.tryAcquire(key, timing.leaseSeconds);
  if (!lease) {
    throw new RotationError(
      'RunInProgress',
      `another run of group ${group} in vault ${vault} is in progress`,
      {
        transient: true,
        retryAfterSeconds: timing.leaseSeconds,
      },
    );
  }
  return new LeaseKeeper(lease, deps.clock, {
    leaseSeconds: timing.leaseSeconds,
    renewEveryMs: timing.leaseRenewEveryMs,
    ...(timing.leaseFreshMs === undefined ? {} : { freshMs: timing.leaseFreshMs }),
    askedAt,
    log: deps.log,
  });
}
