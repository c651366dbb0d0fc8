/**
 * Expiring leases on the fake clock, with blob-lease semantics: a lease nobody renews expires and can be
 * taken by someone else; renewing an expired lease that nobody took succeeds; renewing a lease someone
 * else now holds fails with `LeaseLost`.
 */
import { RotationError } from '../errors.js';
import type { Clock, Lease, LockManager } from '../ports.js';
import { FaultInjector } from './faults.js';

interface Holder {
  leaseId: number;
  expiresAt: number;
  durationMs: number;
}

export class FakeLockManager implements LockManager {
  private readonly holders = new Map<string, Holder>();
  private counter = 0;
  /** Successful acquisitions, in order. */
  readonly acquired: string[] = [];

  constructor(
    private readonly clock: Clock,
    readonly faults: FaultInjector = new FaultInjector(),
  ) {}

  async tryAcquire(key: string, durationSeconds: number): Promise<Lease | undefined> {
    this.faults.hit('locks.tryAcquire', [key, durationSeconds]);
    if (durationSeconds < 15 || durationSeconds > 60) {
      throw new RotationError('BadRequest', 'lease duration must be 15-60 seconds');
    }
    const now = this.clock.now().getTime();
    const held = this.holders.get(key);
    if (held && held.expiresAt > now) return undefined;
    const holder: Holder = {
      leaseId: ++this.counter,
      expiresAt: now + durationSeconds * 1000,
      durationMs: durationSeconds * 1000,
    };
    this.holders.set(key, holder);
    this.acquired.push(key);
    return this.leaseFor(key, holder.leaseId);
  }

  /** Breaks the lease on `key` at once, as an operator's (or a test's) break with no break period does. */
  breakLease(key: string): void {
    this.holders.delete(key);
  }

  /** True when someone holds an unexpired lease on `key`. */
  isHeld(key: string): boolean {
    const held = this.holders.get(key);
    return held !== undefined && held.expiresAt > this.clock.now().getTime();
  }

  private leaseFor(key: string, leaseId: number): Lease {
    return {
      key,
      renew: async () => {
        this.faults.hit('lease.renew', [key]);
        const held = this.holders.get(key);
        if (!held || held.leaseId !== leaseId) {
          throw new RotationError('LeaseLost', `lease on ${key} is held by another worker`, {
            transient: true,
          });
        }
        held.expiresAt = this.clock.now().getTime() + held.durationMs;
      },
      release: async () => {
        this.faults.hit('lease.release', [key]);
        const held = this.holders.get(key);
        if (held?.leaseId === leaseId) this.holders.delete(key);
      },
    };
  }
}
