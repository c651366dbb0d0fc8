/**
 * Per-client pipeline options: TLS trust for the local emulator and retry limits.
 *
 * The emulator's CA is trusted by each SDK client through core-rest-pipeline's `tlsOptions: { ca }` (a
 * `tlsPolicy` that sets the CA on that client's own agent). Never `NODE_EXTRA_CA_CERTS` or
 * `NODE_TLS_REJECT_UNAUTHORIZED`: those would change trust for every connection in the process.
 */
import type { AzureEnvironment } from './endpoints.js';

/**
 * Retry limits. The SDK pipeline retries 408/429/5xx and socket errors (honouring `Retry-After` on
 * 429/503) up to `maxRetries` times with exponential back-off between `retryDelayInMs` and `maxRetryDelayInMs`.
 */
export interface RetryTiming {
  maxRetries: number;
  retryDelayInMs: number;
  maxRetryDelayInMs: number;
  /** Per-attempt timeout for storage calls (the storage pipeline has its own retry policy). */
  storageTryTimeoutInMs: number;
}

export const DEFAULT_TIMING: RetryTiming = {
  maxRetries: 4,
  retryDelayInMs: 800,
  maxRetryDelayInMs: 30_000,
  storageTryTimeoutInMs: 30_000,
};

/** For tests: the same retry behaviour in milliseconds. */
export const FAST_TIMING: RetryTiming = {
  maxRetries: 2,
  retryDelayInMs: 5,
  maxRetryDelayInMs: 50,
  storageTryTimeoutInMs: 5_000,
};

export type TimingOption = 'default' | 'fast' | RetryTiming;

export function resolveTiming(timing: TimingOption | undefined): RetryTiming {
  if (timing === undefined || timing === 'default') return DEFAULT_TIMING;
  if (timing === 'fast') return FAST_TIMING;
  return timing;
}

/** The subset of core-rest-pipeline `PipelineOptions` this module fills. */
export interface RestPipelineOptions {
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
  tlsOptions?: { ca: string };
}

/** Options for clients built on core-rest-pipeline (Key Vault, ARM, Tables, Event Grid). */
export function restPipelineOptions(env: AzureEnvironment, timing: RetryTiming): RestPipelineOptions {
  const retryOptions = {
    maxRetries: timing.maxRetries,
    retryDelayInMs: timing.retryDelayInMs,
    maxRetryDelayInMs: timing.maxRetryDelayInMs,
  };
  return env.mode === 'local' ? { retryOptions, tlsOptions: { ca: env.caCert } } : { retryOptions };
}

/** `StorageRetryOptions` for blob and queue clients (`maxTries` counts the first attempt). */
export function storageRetryOptions(timing: RetryTiming): {
  maxTries: number;
  retryDelayInMs: number;
  maxRetryDelayInMs: number;
  tryTimeoutInMs: number;
} {
  return {
    maxTries: timing.maxRetries + 1,
    retryDelayInMs: timing.retryDelayInMs,
    maxRetryDelayInMs: timing.maxRetryDelayInMs,
    tryTimeoutInMs: timing.storageTryTimeoutInMs,
  };
}
