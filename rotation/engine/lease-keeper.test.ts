import { describe, expect, it } from 'vitest';
import { FakeClock } from '../fakes/clock.js';
import { FaultInjector } from '../fakes/faults.js';
import { FakeLockManager } from '../fakes/locks.js';
import { MemoryLogger } from '../fakes/logger.js';
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

    it('takes a confirmation that storage failed to answer as no loss while the lease has time left', async () => {
      const { clock, faults, log, deps } = setup();
      const keeper = await acquireGroupLease(deps, 'kv', 'g', fresh);
      faults.inject({ op: 'lease.renew', times: 1 });
      clock.advance(300);
      await keeper.confirmAhead();
      expect(log.lines.map((l) => l.message)).toContain(
        'lease confirmation failed; relying on the last renewal',
      );
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
