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
});
