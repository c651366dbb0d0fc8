import { describe, expect, it } from 'vitest';
import { FakeClock } from '../fakes/clock.js';
import { FaultInjector } from '../fakes/faults.js';
import { FakeLockManager } from '../fakes/locks.js';
import { MemoryLogger } from '../fakes/logger.js';
import type { Clock, LockManager } from '../ports.js';
import { acquireGroupLease } from './lease-keeper.js';

const timing = { leaseSeconds: 30, leaseRenewEveryMs: 10_000 };

function setup() {
  const clock = new FakeClock();
  const faults = new FaultInjector();
  const locks = new FakeLockManager(clock, faults);
  const log = new MemoryLogger();
  return { clock, faults, locks, log, deps: { locks, clock, log } };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Locks whose renewals storage grants at once, but whose answers are read `delays[i]` ms later (in turn). */
function lateAnswers(locks: LockManager, clock: FakeClock, delays: number[]): LockManager {
  return {
    async tryAcquire(key, seconds) {
      const lease = await locks.tryAcquire(key, seconds);
      if (!lease) return undefined;
      return {
        ...lease,
        async renew() {
          await lease.renew();
          clock.advance(delays.shift() ?? 0);
        },
      };
    },
  };
}

describe('LeaseKeeper', () => {
  it('keeps the lease alive past its duration while the run lives, then releases it', async () => {
    const { clock, locks, deps } = setup();
    const keeper = await acquireGroupLease(deps, 'KV', 'Group', timing);
    expect(keeper.key).toBe('kv/group');
    for (let i = 0; i < 12; i++) {
      clock.advance(10_000);
      await tick();
    }
    keeper.assertHeld();
    expect(await locks.tryAcquire('kv/group', 30)).toBeUndefined();
    await keeper.stop();
    expect(locks.isHeld('kv/group')).toBe(false);
  });

  it('refuses a second holder with a transient RunInProgress', async () => {
    const { deps } = setup();
    await acquireGroupLease(deps, 'kv', 'g', timing);
    await expect(acquireGroupLease(deps, 'kv', 'g', timing)).rejects.toMatchObject({
      code: 'RunInProgress',
      transient: true,
      retryAfterSeconds: 30,
    });
  });

  it('reports LeaseLost when renewals keep failing past the lease duration', async () => {
    const { clock, faults, deps } = setup();
    faults.inject({ op: 'lease.renew', times: Number.POSITIVE_INFINITY });
    const keeper = await acquireGroupLease(deps, 'kv', 'g', timing);
    clock.advance(10_000);
    await tick();
    keeper.assertHeld();
    clock.advance(20_000);
    await tick();
    expect(() => keeper.assertHeld()).toThrow(
      expect.objectContaining({ code: 'LeaseLost', transient: true }),
    );
    await keeper.stop();
  });

  it('reports LeaseLost at once when another worker took the lease', async () => {
    const { clock, locks, deps, log } = setup();
    const keeper = await acquireGroupLease(deps, 'kv', 'g', { leaseSeconds: 15, leaseRenewEveryMs: 20_000 });
    clock.advance(16_000);
    expect(await locks.tryAcquire('kv/g', 30)).toBeDefined();
    clock.advance(4_000);
    await tick();
    expect(() => keeper.assertHeld()).toThrow(expect.objectContaining({ code: 'LeaseLost' }));
    await keeper.stop();
    expect(locks.isHeld('kv/g')).toBe(true);
    expect(log.lines.map((l) => l.message)).toContain('lease lost');
  });

  describe('confirmFresh', () => {
    const fresh = { leaseSeconds: 30, leaseRenewEveryMs: 10_000, leaseFreshMs: 500 };

    it('takes a confirmation younger than freshMs as is, and asks storage again once it is older', async () => {
      const { clock, faults, deps } = setup();
      const keeper = await acquireGroupLease(deps, 'kv', 'g', fresh);
      faults.resetCalls();
      clock.advance(499);
      await keeper.confirmFresh();
      expect(faults.calls).toEqual([]);
      clock.advance(1);
      await keeper.confirmFresh();
      expect(faults.calls).toEqual(['lease.renew']);
      await keeper.confirmFresh(); // just confirmed: fresh again
      expect(faults.calls).toEqual(['lease.renew']);
      await keeper.stop();
    });

    it('finds out before acting that a worker held up past its lease lost the group', async () => {
      const { clock, locks, deps } = setup();
      const keeper = await acquireGroupLease(deps, 'kv', 'g', { ...fresh, leaseSeconds: 15 });
      await keeper.confirm();
      // held up (a pause, a partition): its renewals do not run; the lease runs out and B takes it
      clock.advance(16_000);
      expect(await locks.tryAcquire('kv/g', 30)).toBeDefined();
      await expect(keeper.confirmFresh()).rejects.toMatchObject({ code: 'LeaseLost' });
      await keeper.stop();
    });

    it('confirms ahead of a step only when the confirmation in hand would be stale by then', async () => {
      const { clock, faults, deps } = setup();
      const keeper = await acquireGroupLease(deps, 'kv', 'g', fresh);
      faults.resetCalls();
      clock.advance(249);
      await keeper.confirmAhead(); // younger than freshMs / 2: still fresh a journal write later
      expect(faults.calls).toEqual([]);
      clock.advance(1);
      await keeper.confirmAhead();
      expect(faults.calls).toEqual(['lease.renew']);
      clock.advance(200);
      await keeper.confirmFresh(); // the step acts on the confirmation taken ahead
      expect(faults.calls).toEqual(['lease.renew']);
      await keeper.stop();
    });

    it('only logs a confirmation storage failed to answer ahead of a step; the step asks again and will not act without one', async () => {
      const { clock, faults, log, deps } = setup();
      const keeper = await acquireGroupLease(deps, 'kv', 'g', fresh);
      faults.inject({ op: 'lease.renew', times: 2 });
      clock.advance(300);
      await keeper.confirmAhead();
      expect(log.lines.map((l) => l.message)).toContain(
        'lease confirmation failed; the next step asks again',
      );
      clock.advance(300);
      await expect(keeper.confirmFresh()).rejects.toMatchObject({
        code: 'AzureUnavailable',
        transient: true,
      });
      keeper.assertHeld(); // not lost: the run tries again later
      await keeper.confirmFresh(); // storage answers again
      expect(faults.calls.filter((c) => c === 'lease.renew')).toHaveLength(3);
      await keeper.stop();
    });

    it('will not act on an old renewal when storage cannot confirm and the lease was broken meanwhile', async () => {
      const { clock, faults, locks, deps } = setup();
      const keeper = await acquireGroupLease(deps, 'kv', 'g', fresh);
      clock.advance(2_000);
      locks.breakLease('kv/g'); // an operator breaks it; another worker takes the group
      expect(await locks.tryAcquire('kv/g', 30)).toBeDefined();
      faults.inject({ op: 'lease.renew', times: 1 });
      await expect(keeper.confirmFresh()).rejects.toMatchObject({ transient: true });
      await expect(keeper.confirmFresh()).rejects.toMatchObject({ code: 'LeaseLost' });
      await keeper.stop();
    });

    it('dates a confirmation from when it was asked: an answer read after a pause is not fresh', async () => {
      const { clock, deps } = setup();
      const breakable = new FakeLockManager(clock);
      let answer: (() => void) | undefined;
      let renewals = 0;
      const slowLocks: LockManager = {
        async tryAcquire(key, seconds) {
          const lease = await breakable.tryAcquire(key, seconds);
          if (!lease) return undefined;
          return {
            key: lease.key,
            release: () => lease.release(),
            async renew() {
              renewals += 1;
              // storage renews at once; the answer is read only when `answer()` is called
              const renewed = lease.renew();
              if (renewals === 1) await new Promise<void>((resolve) => (answer = resolve));
              return renewed;
            },
          };
        },
      };
      const keeper = await acquireGroupLease({ ...deps, locks: slowLocks }, 'kv', 'g', fresh);
      clock.advance(1_000);
      const confirming = keeper.confirm();
      await tick();
      // the process pauses with the answer unread; the lease is broken and another worker takes the group
      clock.advance(3_000);
      breakable.breakLease('kv/g');
      expect(await breakable.tryAcquire('kv/g', 30)).toBeDefined();
      answer!();
      await confirming; // the renewal itself succeeded, before the break
      await expect(keeper.confirmFresh()).rejects.toMatchObject({ code: 'LeaseLost' });
      expect(renewals).toBe(2);
      await keeper.stop();
    });

    it('asks again when a renewal is answered later than freshMs after it was asked, and gives up after half the lease', async () => {
      const { clock, faults, locks, deps } = setup();
      const delays = [700, 0, ...Array<number>(30).fill(700)];
      const slow = lateAnswers(locks, clock, delays);
      const keeper = await acquireGroupLease({ ...deps, locks: slow }, 'kv', 'g', fresh);
      clock.advance(1_000);
      faults.resetCalls();
      await keeper.confirmFresh(); // 700 ms late, then on time
      expect(faults.calls).toEqual(['lease.renew', 'lease.renew']);
      clock.advance(1_000);
      await expect(keeper.confirmFresh()).rejects.toMatchObject({
        code: 'AzureUnavailable',
        transient: true,
      });
      // 700 ms a late answer, for half of the 30 s lease: 22 asks (15.4 s) after the first two
      expect(faults.calls).toHaveLength(2 + 22);
      await keeper.stop();
    });

    it('keeps asking through a run of slow answers and acts on the first fresh one', async () => {
      const { clock, faults, locks, deps } = setup();
      const delays = [700, 700, 700, 700, 700, 0]; // storage slow for 3.5 s (CI under load), then on time
      const slow = lateAnswers(locks, clock, delays);
      const keeper = await acquireGroupLease({ ...deps, locks: slow }, 'kv', 'g', fresh);
      clock.advance(1_000);
      faults.resetCalls();
      await keeper.confirmFresh();
      expect(faults.calls).toHaveLength(6);
      await keeper.stop();
    });

    it('recovers from a clock that stepped back: one more renewal, then fresh again', async () => {
      const { clock, faults, locks, log } = setup();
      let offset = 0; // a wall clock that NTP can step back (the fake clock only goes forward)
      const wall: Clock = {
        now: () => new Date(clock.now().getTime() + offset),
        sleep: (ms, signal) => clock.sleep(ms, signal),
      };
      const keeper = await acquireGroupLease({ locks, clock: wall, log }, 'kv', 'g', fresh);
      clock.advance(1_000);
      await keeper.confirmFresh();
      offset = -5_000;
      faults.resetCalls();
      await keeper.confirmFresh();
      expect(faults.calls).toEqual(['lease.renew']);
      await keeper.confirmFresh();
      expect(faults.calls).toEqual(['lease.renew']);
      await keeper.stop();
    });

    it('dates the first confirmation from when the lease was asked for', async () => {
      const { clock, faults, locks, deps } = setup();
      const pausing: LockManager = {
        async tryAcquire(key, seconds) {
          const lease = await locks.tryAcquire(key, seconds);
          clock.advance(600); // the answer read late
          return lease;
        },
      };
      const keeper = await acquireGroupLease({ ...deps, locks: pausing }, 'kv', 'g', fresh);
      faults.resetCalls();
      await keeper.confirmFresh();
      expect(faults.calls).toEqual(['lease.renew']);
      await keeper.stop();
    });

    it('asks storage every time when no freshness is configured', async () => {
      const { faults, deps } = setup();
      const keeper = await acquireGroupLease(deps, 'kv', 'g', timing);
      faults.resetCalls();
      await keeper.confirmFresh();
      await keeper.confirmAhead();
      expect(faults.calls).toEqual(['lease.renew', 'lease.renew']);
      await keeper.stop();
    });
  });
});
