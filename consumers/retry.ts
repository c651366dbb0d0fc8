/**
 * Retries with exponential backoff for consumer and alert deliveries. Each consumer / channel gets its own
 * loop, so one slow or failing receiver never holds up the others. Timing is injectable: tests use
 * {@link FAST_TIMING}.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { describeError, RotationError } from '../rotation/errors.js';

export interface RetryPolicy {
  /** Total attempts, including the first (≥ 1). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface DeliveryTiming {
  retry: RetryPolicy;
  /** Timeout of one outgoing HTTP request. */
  requestTimeoutMs: number;
  /** How long restart requests for one site are collected before the single restart runs. */
  coalesceWindowMs: number;
  /** Wait after a restart before the first health poll (so the old process does not answer it). */
  healthInitialDelayMs: number;
  healthIntervalMs: number;
}

export const DEFAULT_TIMING: DeliveryTiming = {
  retry: { attempts: 4, baseDelayMs: 2_000, maxDelayMs: 30_000 },
  requestTimeoutMs: 15_000,
  coalesceWindowMs: 3_000,
  healthInitialDelayMs: 5_000,
  healthIntervalMs: 5_000,
};

/** For tests: same shape, milliseconds instead of seconds. */
export const FAST_TIMING: DeliveryTiming = {
  retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
  requestTimeoutMs: 2_000,
  coalesceWindowMs: 60,
  healthInitialDelayMs: 0,
  healthIntervalMs: 20,
};

export function resolveTiming(overrides: Partial<DeliveryTiming> | undefined): DeliveryTiming {
  return { ...DEFAULT_TIMING, ...overrides, retry: { ...DEFAULT_TIMING.retry, ...overrides?.retry } };
}

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => delay(ms);

export interface RetryDecision {
  retryable: boolean;
  /** Server-requested wait (Retry-After), in ms. */
  retryAfterMs?: number;
}

/**
 * Whether retrying may help. `RotationError`s say so themselves (`transient`); HTTP failures retry on
 * 408, 429 and 5xx (other 4xx mean the request itself is wrong); failures without a status (connection
 * refused, timeouts, DNS) are retried.
 */
export function classifyFailure(error: unknown): RetryDecision {
  if (error instanceof RotationError) {
    return error.retryAfterSeconds === undefined
      ? { retryable: error.transient }
      : { retryable: error.transient, retryAfterMs: error.retryAfterSeconds * 1000 };
  }
  const status = describeError(error).status;
  if (status === undefined) return { retryable: true };
  const retryable = status === 408 || status === 429 || status >= 500;
  const retryAfterMs = retryAfterFrom(error);
  return retryAfterMs === undefined ? { retryable } : { retryable, retryAfterMs };
}

function retryAfterFrom(error: unknown): number | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const headers = (error as { response?: { headers?: Record<string, unknown> } }).response?.headers;
  const raw = headers?.['retry-after'];
  if (typeof raw !== 'string') return undefined;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** Delay before attempt `attempt + 1`: base·2^(attempt-1), capped, with ±25% jitter against herds. */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exponential * (0.75 + random() * 0.5));
}

export type RetryResult<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; error: unknown; attempts: number };

/** Runs `operation` until it succeeds, fails permanently, or attempts run out. Never throws. */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: {
    policy: RetryPolicy;
    sleep: Sleep;
    classify?: (error: unknown) => RetryDecision;
    onRetry?: (info: { attempt: number; error: unknown; delayMs: number }) => void;
  },
): Promise<RetryResult<T>> {
  const classify = options.classify ?? classifyFailure;
  const attempts = Math.max(1, options.policy.attempts);
  let attempt = 0;
  for (;;) {
    attempt += 1;
    try {
      return { ok: true, value: await operation(attempt), attempts: attempt };
    } catch (error) {
      const decision = classify(error);
      if (!decision.retryable || attempt >= attempts) return { ok: false, error, attempts: attempt };
      const backoff = backoffDelay(options.policy, attempt);
      const delayMs = Math.min(options.policy.maxDelayMs, Math.max(backoff, decision.retryAfterMs ?? 0));
      options.onRetry?.({ attempt, error, delayMs });
      await options.sleep(delayMs);
    }
  }
}

/** One line describing a failure for outcomes and logs: status, code and message only. */
export function failureText(error: unknown): string {
  const { code, message, status } = describeError(error);
  return status === undefined ? `${code}: ${message}` : `HTTP ${status} ${code}: ${message}`;
}
