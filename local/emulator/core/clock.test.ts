import { describe, expect, it } from 'vitest';
import { Clock } from './clock.js';

describe('Clock', () => {
  it('starts at startTime, follows real time and only moves forward', () => {
    const clock = new Clock(new Date('2030-01-01T00:00:00Z'));
    const start = clock.now().getTime();
    expect(start).toBeGreaterThanOrEqual(Date.parse('2030-01-01T00:00:00Z'));
    expect(start).toBeLessThan(Date.parse('2030-01-01T00:00:05Z'));
    clock.advance(86_400_000);
    expect(clock.now().getTime() - start).toBeGreaterThanOrEqual(86_400_000);
    expect(clock.nowSeconds()).toBe(Math.floor(clock.now().getTime() / 1000));
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => new Clock(new Date('nope'))).toThrow(TypeError);
  });

  it('tells listeners the new time and survives a failing one', async () => {
    const errors: unknown[] = [];
    const clock = new Clock(new Date('2030-01-01T00:00:00Z'), (e) => errors.push(e));
    const seen: Date[] = [];
    clock.onAdvance(() => {
      throw new Error('sync failure');
    });
    clock.onAdvance(async () => {
      throw new Error('async failure');
    });
    clock.onAdvance((now) => {
      seen.push(now);
    });
    clock.advance(1000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(1);
    expect(errors).toHaveLength(2);
  });
});
