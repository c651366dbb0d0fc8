import { describe, expect, it } from 'vitest';
import { RotationError } from '../errors.js';
import { FakeClock } from '../fakes/clock.js';
import { MemoryLogger } from '../fakes/logger.js';
import { withRetries } from './retry.js';

const unavailable = () => new RotationError('AzureUnavailable', 'HTTP 503', { transient: true });

/** Four attempts, 1 s then 2 s then 4 s apart, on an auto-advancing fake clock. */
function retrying(beforeRetry: () => Promise<void>) {
  const clock = new FakeClock(undefined, { autoAdvance: true });
  const start = clock.now().getTime();
  const options = {
    attempts: 4,
    backoff: { initialDelayMs: 1_000, maxDelayMs: 4_000, factor: 2 },
    clock,
    log: new MemoryLogger(),
    what: 'writing x',
    beforeRetry,
  };
  return { options, elapsed: () => clock.now().getTime() - start };
}

describe('withRetries', () => {
  it('backs off between attempts and runs beforeRetry after each backoff, never before the first attempt', async () => {
    const seen: string[] = [];
    const { options, elapsed } = retrying(async () => {
      seen.push(`before retry at ${elapsed()}`);
    });
    let calls = 0;
    const result = await withRetries(async () => {
      seen.push(`attempt at ${elapsed()}`);
      calls += 1;
      if (calls < 3) throw unavailable();
      return 'written';
    }, options);
    expect(result).toBe('written');
    expect(seen).toEqual([
      'attempt at 0',
      'before retry at 1000',
      'attempt at 1000',
      'before retry at 3000',
      'attempt at 3000',
    ]);
  });

  it('ends at once when beforeRetry throws, even a transient error (a lease lost during the backoff)', async () => {
    const lost = new RotationError('LeaseLost', 'lease on kv/g was lost', { transient: true });
    const { options } = retrying(async () => {
      throw lost;
    });
    let calls = 0;
    const op = async () => {
      calls += 1;
      throw unavailable();
    };
    await expect(withRetries(op, options)).rejects.toBe(lost);
    expect(calls).toBe(1);
  });
});
