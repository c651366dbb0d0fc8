import { describe, expect, it } from 'vitest';
import { limiter, mapLimit } from './concurrency.js';

describe('mapLimit', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, n));
      active -= 1;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});

describe('limiter', () => {
  it('runs work given over time with at most `limit` in flight, in the order given', async () => {
    const gate = limiter(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const job = (n: number) =>
      gate(async () => {
        active += 1;
        peak = Math.max(peak, active);
        order.push(n);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active -= 1;
        if (n === 3) throw new Error('job 3 failed');
        return n * 10;
      });
    const first = [job(1), job(2), job(3)];
    await new Promise((resolve) => setTimeout(resolve, 1));
    const later = [job(4), job(5)];
    const results = await Promise.allSettled([...first, ...later]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed'))).toEqual([
      10,
      20,
      'failed',
      40,
      50,
    ]);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });
});
