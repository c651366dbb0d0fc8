import { describe, expect, it } from 'vitest';
import { RotationError } from '../../rotation/errors.js';
import { RestartCoalescer } from './coalescer.js';
import type { RestartOptions, SiteRestarter } from './restarter.js';

const SITE = '/subscriptions/sub-1/resourceGroups/rg-app/providers/Microsoft.Web/sites/web-api';

function countingRestarter(options: { fail?: number } = {}) {
  const calls: { resourceId: string; options: RestartOptions; at: number }[] = [];
  let failures = options.fail ?? 0;
  const restarter: SiteRestarter = {
    async restart(resourceId, restartOptions) {
      calls.push({ resourceId, options: restartOptions, at: Date.now() });
      if (failures > 0) {
        failures -= 1;
        throw new RotationError('AzureUnavailable', 'ARM is down', { transient: true });
      }
    },
  };
  return { restarter, calls };
}

describe('RestartCoalescer', () => {
  it('restarts a site once for three requests in one window, and tells each waiter', async () => {
    const { restarter, calls } = countingRestarter();
    const coalescer = new RestartCoalescer(restarter, { windowMs: 40 });
    const receipts = await Promise.all([
      coalescer.restart(SITE, { soft: true }),
      coalescer.restart(SITE.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), { soft: true }),
      coalescer.restart(`${SITE}/`, { soft: true }),
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.options).toEqual({ soft: true, synchronous: false });
    expect(receipts.map((receipt) => receipt.requests)).toEqual([3, 3, 3]);
    expect(coalescer.openWindows).toBe(0);
  });

  it('merges hard over soft and synchronous over asynchronous', async () => {
    const { restarter, calls } = countingRestarter();
    const coalescer = new RestartCoalescer(restarter, { windowMs: 20 });
    await Promise.all([
      coalescer.restart(SITE, { soft: true }),
      coalescer.restart(SITE, { soft: false, synchronous: true }),
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.options).toEqual({ soft: false, synchronous: true });
  });

  it('keeps slots and sites apart, and merges a slot id with an explicit slot', async () => {
    const { restarter, calls } = countingRestarter();
    const coalescer = new RestartCoalescer(restarter, { windowMs: 20 });
    await Promise.all([
      coalescer.restart(SITE, { soft: true }),
      coalescer.restart(`${SITE}/slots/staging`, { soft: true }),
      coalescer.restart(SITE, { soft: true, slot: 'Staging' }),
      coalescer.restart(SITE.replace('web-api', 'worker'), { soft: true }),
    ]);
    expect(calls).toHaveLength(3);
    const staging = calls.find((call) => call.options.slot !== undefined);
    expect(staging?.resourceId).toBe(SITE);
    expect(staging?.options.slot).toBe('staging');
  });

  it('opens a new window for a request that arrives after the restart started', async () => {
    const { restarter, calls } = countingRestarter();
    const coalescer = new RestartCoalescer(restarter, { windowMs: 10 });
    await coalescer.restart(SITE, { soft: true });
    const second = await coalescer.restart(SITE, { soft: true });
    expect(calls).toHaveLength(2);
    expect(second.requests).toBe(1);
  });

  it('shares a failure with every waiter; a later request restarts again', async () => {
    const { restarter, calls } = countingRestarter({ fail: 1 });
    const coalescer = new RestartCoalescer(restarter, { windowMs: 10 });
    const results = await Promise.allSettled([
      coalescer.restart(SITE, { soft: true }),
      coalescer.restart(SITE, { soft: true }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toHaveLength(1);
    await expect(coalescer.restart(SITE, { soft: true })).resolves.toMatchObject({ requests: 1 });
    expect(calls).toHaveLength(2);
  });

  describe('runs that announced themselves', () => {
    it('restarts at once for a run alone, without waiting for the window', async () => {
      const { restarter, calls } = countingRestarter();
      const coalescer = new RestartCoalescer(restarter, { windowMs: 60_000 });
      const withdraw = coalescer.expect(SITE, undefined, 'run-a');
      const started = performance.now();
      await expect(coalescer.restart(SITE, { soft: true }, 'run-a')).resolves.toMatchObject({ requests: 1 });
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(calls).toHaveLength(1);
      withdraw();
      expect(coalescer.openWindows).toBe(0);
    });

    it('waits for every announced sibling, then restarts once for all of them', async () => {
      const { restarter, calls } = countingRestarter();
      const coalescer = new RestartCoalescer(restarter, { windowMs: 60_000 });
      coalescer.expect(SITE, undefined, 'run-a');
      coalescer.expect(SITE.toLowerCase(), undefined, 'run-b');
      const a = coalescer.restart(SITE, { soft: true }, 'run-a');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(calls).toHaveLength(0); // run-b is on its way
      const b = coalescer.restart(SITE, { soft: false }, 'run-b');
      const receipts = await Promise.all([a, b]);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.options).toEqual({ soft: false, synchronous: false });
      expect(receipts.map((r) => r.requests)).toEqual([2, 2]);
    });

    it('stops waiting for a sibling that withdraws (its run ended before propagating)', async () => {
      const { restarter, calls } = countingRestarter();
      const coalescer = new RestartCoalescer(restarter, { windowMs: 60_000 });
      coalescer.expect(SITE, undefined, 'run-a');
      const withdrawB = coalescer.expect(SITE, undefined, 'run-b');
      const a = coalescer.restart(SITE, { soft: true }, 'run-a');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(calls).toHaveLength(0);
      withdrawB();
      await expect(a).resolves.toMatchObject({ requests: 1 });
      expect(calls).toHaveLength(1);
    });

    it('does not wait for a run announced for another site or slot', async () => {
      const { restarter, calls } = countingRestarter();
      const coalescer = new RestartCoalescer(restarter, { windowMs: 60_000 });
      coalescer.expect(SITE, undefined, 'run-a');
      coalescer.expect(SITE, 'staging', 'run-b');
      coalescer.expect(SITE.replace('web-api', 'worker'), undefined, 'run-c');
      await coalescer.restart(SITE, { soft: true }, 'run-a');
      expect(calls).toHaveLength(1);
    });

    it('keeps the window open for its full length when a request nobody announced joins', async () => {
      const { restarter, calls } = countingRestarter();
      const coalescer = new RestartCoalescer(restarter, { windowMs: 80 });
      coalescer.expect(SITE, undefined, 'run-a');
      const unannounced = coalescer.restart(SITE, { soft: true });
      const a = coalescer.restart(SITE, { soft: true }, 'run-a');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(calls).toHaveLength(0); // a caller that cannot tell may have siblings: the window decides
      await expect(Promise.all([unannounced, a])).resolves.toHaveLength(2);
      expect(calls).toHaveLength(1);
    });

    it('caps the wait for a slow sibling at the window', async () => {
      const { restarter, calls } = countingRestarter();
      const coalescer = new RestartCoalescer(restarter, { windowMs: 40 });
      coalescer.expect(SITE, undefined, 'run-a');
      coalescer.expect(SITE, undefined, 'slow');
      await coalescer.restart(SITE, { soft: true }, 'run-a');
      expect(calls).toHaveLength(1);
    });

    it('restarts a retry of a run at once: it asked before, nobody waits for it', async () => {
      const { restarter, calls } = countingRestarter({ fail: 1 });
      const coalescer = new RestartCoalescer(restarter, { windowMs: 60_000 });
      coalescer.expect(SITE, undefined, 'run-a');
      await expect(coalescer.restart(SITE, { soft: true }, 'run-a')).rejects.toThrow('ARM is down');
      await expect(coalescer.restart(SITE, { soft: true }, 'run-a')).resolves.toMatchObject({ requests: 1 });
      expect(calls).toHaveLength(2);
    });
  });
});
