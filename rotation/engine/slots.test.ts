import { describe, expect, it } from 'vitest';
import { createScenario } from '../fakes/index.js';
import { enqueueRotation, executeRun } from './index.js';
import { acquireRunSlot, concurrencyOf, DEFAULT_CONCURRENCY, slotKey, tryAcquireSlot } from './slots.js';

describe('run slots (ROTATION_CONCURRENCY)', () => {
  it('defaults to 8 and ignores nonsense', () => {
    const { world } = createScenario();
    expect(concurrencyOf(world.deps)).toBe(DEFAULT_CONCURRENCY);
    expect(concurrencyOf({ settings: { ...world.settings, concurrency: 0 } })).toBe(DEFAULT_CONCURRENCY);
    expect(concurrencyOf({ settings: { ...world.settings, concurrency: 3 } })).toBe(3);
  });

  it('hands out at most N slots; a released slot is free again', async () => {
    const { world } = createScenario();
    const timing = { leaseSeconds: 30, leaseRenewEveryMs: 10_000 };
    const a = await tryAcquireSlot(world.deps, 2, timing);
    const b = await tryAcquireSlot(world.deps, 2, timing);
    expect(a && b).toBeTruthy();
    expect(await tryAcquireSlot(world.deps, 2, timing)).toBeUndefined();
    expect([world.locks.isHeld(slotKey(0)), world.locks.isHeld(slotKey(1))]).toEqual([true, true]);
    await a!.stop();
    const c = await tryAcquireSlot(world.deps, 2, timing);
    expect(c).toBeDefined();
    await b!.stop();
    await c!.stop();
  });

  it('a worker without a free slot waits, then puts the request back with a delay and leaves the run queued', async () => {
    const { world, request, provider } = createScenario({ settings: { concurrency: 1 } });
    const held = await acquireRunSlot(world.deps);
    expect(held).toBeDefined();
    await enqueueRotation(world.deps, request({ trigger: { kind: 'http' } }));
    const [message] = world.queue.takeVisible();
    const started = world.clock.now().getTime();
    const run = await executeRun(world.deps, message!);
    expect(run.status).toBe('queued');
    expect(provider.calls).toEqual([]);
    expect(world.clock.now().getTime() - started).toBeGreaterThanOrEqual(29_000);
    expect(world.queue.messages).toHaveLength(1);
    const delayMs = world.queue.messages[0]!.visibleAt.getTime() - world.clock.now().getTime();
    expect(delayMs).toBeGreaterThanOrEqual(5_000);
    await held!.stop();
    world.clock.advance(delayMs);
    const [done] = await world.drain();
    expect(done?.status).toBe('done');
    expect(world.locks.isHeld(slotKey(0))).toBe(false);
  });

  it('a worker waiting for a slot takes one let go in its own process at once, not at its next poll', async () => {
    const { world } = createScenario({ autoAdvance: false, settings: { concurrency: 1 } });
    const held = await acquireRunSlot(world.deps);
    expect(held).toBeDefined();
    let acquired = false;
    const waiting = acquireRunSlot(world.deps).then((slot) => {
      acquired = true;
      return slot;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(acquired).toBe(false); // asleep until its next poll (the clock does not move here)
    const before = world.clock.now().getTime();
    await held!.stop();
    const slot = await waiting;
    expect(slot).toBeDefined();
    expect(world.clock.now().getTime()).toBe(before);
    expect(world.locks.isHeld(slotKey(0))).toBe(true);
    await slot!.stop();
  });
});
