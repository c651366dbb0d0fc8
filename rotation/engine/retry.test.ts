import { describe, expect, it } from 'vitest';
import { RotationError } from '../errors.js';
import { FakeClock } from '../fakes/clock.js';
import { MemoryLogger } from '../fakes/logger.js';
import { withRetries } from './retry.js';

const backoff = { initialDelayMs: 1_000, maxDelayMs: 4_000, factor: 2 };
const unavailable = () => new RotationError('AzureUnavailable', 'HTTP 503', { transient: true });

describe('withRetries', () => {
  it('backs off between attempts and runs beforeRetry after each backoff, never before the first attempt', async () => {
    const clock = new FakeClock(undefined, { autoAdvance: true });
    const start = clock.now().getTime();
    const seen: string[] = [];
    let calls = 0;
    const result = await withRetries(
      async () => {
        seen.push(`attempt at ${clock.now().getTime() - start}`);
        calls += 1;
        if (calls < 3) throw unavailable();
        return 'written';
      },
      {
        attempts: 4,
        backoff,
        clock,
        log: new MemoryLogger(),
        what: 'writing x',
        beforeRetry: async () => {
          seen.push(`before retry at ${clock.now().getTime() - start}`);
        },
      },
    );
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
    const clock = new FakeClock(undefined, { autoAdvance: true });
    let calls = 0;
    const lost = new RotationError('LeaseLost', 'lease on kv/g was lost', { transient: true });
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw unavailable();
        },
        {
          attempts: 4,
          backoff,
          clock,
          log: new MemoryLogger(),
          what: 'writing x',
          beforeRetry: async () => {
            throw lost;
          },
        },
      ),
    ).rejects.toBe(lost);
    expect(calls).toBe(1);
  });
});
