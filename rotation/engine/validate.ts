/**
 * Validation with retries: a new key can take a while to work at the provider (Azure OpenAI keys take
 * tens of seconds), so both `rejected` and `unavailable` are retried with backoff until the timeout.
 * Only then does the run fail — nothing has been promoted at that point.
 */
import { describeError, RotationError } from '../errors.js';
import type {
  Clock,
  CredentialProvider,
  IssuedCredential,
  Logger,
  ProviderContext,
  ValidationResult,
} from '../ports.js';
import type { BackoffProfile } from './deps.js';
import { isRetryable, nextDelay } from './retry.js';

export interface ValidationOptions {
  timeoutSeconds: number;
  backoff: BackoffProfile;
  clock: Clock;
  log: Logger;
}

export async function validateWithRetries(
  provider: CredentialProvider,
  ctx: ProviderContext<unknown>,
  credential: IssuedCredential,
  options: ValidationOptions,
): Promise<{ attempts: number }> {
  const deadline = options.clock.now().getTime() + options.timeoutSeconds * 1000;
  let delay = options.backoff.initialDelayMs;
  let last: Exclude<ValidationResult, { ok: true }>;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await provider.validate(ctx, credential);
      if (result.ok) return { attempts: attempt };
      last = result;
    } catch (error) {
      if (!isRetryable(error)) throw error;
      last = { ok: false, outcome: 'unavailable', reason: describeError(error).message };
    }
    const wait = Math.max(delay, (last.retryAfterSeconds ?? 0) * 1000);
    if (options.clock.now().getTime() + wait > deadline) {
      throw validationFailure(last, attempt, options.timeoutSeconds);
    }
    options.log.warn('credential not valid yet; retrying', {
      attempt,
      outcome: last.outcome,
      delayMs: wait,
    });
    await options.clock.sleep(wait, ctx.signal);
    delay = nextDelay(delay, options.backoff);
  }
}

function validationFailure(
  last: Exclude<ValidationResult, { ok: true }>,
  attempts: number,
  timeoutSeconds: number,
): RotationError {
  const after = `after ${attempts} attempt(s) within ${timeoutSeconds}s`;
  return last.outcome === 'rejected'
    ? new RotationError(
        'CredentialRejected',
        `the provider rejected the new credential ${after}: ${last.reason}`,
      )
    : new RotationError(
        'ValidationTimeout',
        `could not validate the new credential ${after}: ${last.reason}`,
        {
          transient: true,
          ...(last.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: last.retryAfterSeconds }),
        },
      );
}
