/** Polls a consumer's health URL after a restart until it answers 2xx or the time is up. */
import { RotationError } from '../../rotation/errors.js';
import { getStatus } from '../http.js';
import { failureText, type Sleep } from '../retry.js';

export interface HealthPollOptions {
  timeoutMs: number;
  initialDelayMs: number;
  intervalMs: number;
  requestTimeoutMs: number;
  sleep: Sleep;
  /** Monotonic milliseconds (default `performance.now`): the emulator clock may jump, real waits do not. */
  now?: () => number;
}

const MIN_POLL_TIMEOUT_MS = 1_000;

export async function waitUntilHealthy(url: string, options: HealthPollOptions): Promise<{ polls: number }> {
  const now = options.now ?? (() => performance.now());
  if (options.initialDelayMs > 0) await options.sleep(options.initialDelayMs);
  const deadline = now() + options.timeoutMs;
  let polls = 0;
  let last = 'no answer';
  for (;;) {
    polls += 1;
    // The last poll may run a little past the deadline rather than be cut to nothing.
    const timeout = Math.min(options.requestTimeoutMs, Math.max(deadline - now(), MIN_POLL_TIMEOUT_MS));
    try {
      const status = await getStatus(url, timeout);
      if (status >= 200 && status < 300) return { polls };
      last = `HTTP ${status}`;
    } catch (error) {
      last = failureText(error);
    }
    const left = deadline - now();
    if (left <= 0) break;
    await options.sleep(Math.min(options.intervalMs, left));
  }
  throw new RotationError(
    'ValidationTimeout',
    `health check did not answer 2xx within ${Math.round(options.timeoutMs / 1000)} s after ${polls} polls (last: ${last})`,
  );
}
