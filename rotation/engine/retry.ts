/** Backoff on the engine's clock: validation retries and Key Vault write retries. */
import { describeError, isRotationError } from '../errors.js';
import type { Clock, Logger } from '../ports.js';
import type { BackoffProfile } from './deps.js';

export function nextDelay(current: number, profile: BackoffProfile): number {
  return Math.min(Math.max(1, current * profile.factor), profile.maxDelayMs);
}

/** Errors worth another attempt: anything but a `RotationError` that says it is permanent. */
export function isRetryable(error: unknown): boolean {
  return !isRotationError(error) || error.transient;
}

/**
 * Runs `op` up to `attempts` times with exponential backoff, retrying only retryable errors.
 * The last error is rethrown. `beforeRetry` runs after each backoff, before the next attempt; what it
 * throws ends the retries at once (a Key Vault write retried seconds later first confirms the lease).
 */
export async function withRetries<T>(
  op: () => Promise<T>,
  options: {
    attempts: number;
    backoff: BackoffProfile;
    clock: Clock;
    log: Logger;
    what: string;
    beforeRetry?: () => Promise<void>;
  },
): Promise<T> {
  let delay = options.backoff.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (error) {
      if (attempt >= options.attempts || !isRetryable(error)) throw error;
      options.log.warn(`${options.what} failed; retrying`, {
        attempt,
        delayMs: delay,
        ...describeError(error),
      });
      await options.clock.sleep(delay);
      await options.beforeRetry?.();
      delay = nextDelay(delay, options.backoff);
    }
  }
}
