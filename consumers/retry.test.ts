import { describe, expect, it } from 'vitest';
import { RotationError } from '../rotation/errors.js';
import { backoffDelay, classifyFailure, withRetry } from './retry.js';

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

describe('withRetry', () => {
  it('retries transient failures with growing delays, then succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw Object.assign(new Error('unavailable'), { statusCode: 503 });
        return 'done';
      },
      { policy, sleep: async (ms) => void delays.push(ms) },
    );
    expect(result).toEqual({ ok: true, value: 'done', attempts: 3 });
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(75);
    expect(delays[0]).toBeLessThanOrEqual(125);
    expect(delays[1]).toBeGreaterThanOrEqual(150);
    expect(delays[1]).toBeLessThanOrEqual(250);
  });

  it('stops at the attempt limit and returns the last error', async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        throw new Error(`boom ${calls}`);
      },
      { policy, sleep: async () => {} },
    );
    expect(result.ok).toBe(false);
    expect(result.attempts).toBe(4);
    expect(!result.ok && (result.error as Error).message).toBe('boom 4');
  });

  it('does not retry permanent failures', async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        throw new RotationError('ConfigInvalid', 'bad');
      },
      { policy, sleep: async () => {} },
    );
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(calls).toBe(1);
  });

  it('honours Retry-After within the cap', async () => {
    const delays: number[] = [];
    let calls = 0;
    await withRetry(
      async () => {
        calls += 1;
        if (calls === 1)
          throw Object.assign(new Error('slow down'), {
            response: { status: 429, headers: { 'retry-after': '0.5' } },
          });
        if (calls === 2)
          throw Object.assign(new Error('slow down'), {
            response: { status: 429, headers: { 'retry-after': '60' } },
          });
      },
      { policy, sleep: async (ms) => void delays.push(ms) },
    );
    expect(delays[0]).toBe(500);
    expect(delays[1]).toBe(1000);
  });
});

describe('classifyFailure', () => {
  it('retries 408, 429, 5xx and network errors; not other 4xx', () => {
    expect(classifyFailure({ statusCode: 500 }).retryable).toBe(true);
    expect(classifyFailure({ response: { status: 429 } }).retryable).toBe(true);
    expect(classifyFailure({ status: 408 }).retryable).toBe(true);
    expect(
      classifyFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).retryable,
    ).toBe(true);
    expect(classifyFailure({ response: { status: 400 } }).retryable).toBe(false);
    expect(classifyFailure({ statusCode: 404 }).retryable).toBe(false);
    expect(
      classifyFailure(new RotationError('AzureUnavailable', 'x', { transient: true, retryAfterSeconds: 2 })),
    ).toEqual({
      retryable: true,
      retryAfterMs: 2000,
    });
  });

  it('caps exponential delays', () => {
    expect(backoffDelay(policy, 10, () => 0.5)).toBe(1000);
    expect(backoffDelay(policy, 1, () => 0.5)).toBe(100);
  });
});
