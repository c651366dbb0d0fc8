/**
 * What the engine needs from the outside world (all ports), and the settings and timings that shape a
 * run. The composition root builds one `EngineDeps` for the Functions host, the local host and the CLI;
 * tests build one over the in-memory fakes (`rotation/fakes`).
 */
import { z } from 'zod';
import type {
  Clock,
  Journal,
  LockManager,
  Logger,
  Notifier,
  Propagator,
  ProviderRegistry,
  RunQueue,
  SecretCatalog,
  SecretStore,
} from '../ports.js';

export interface EngineSettings {
  /** `ROTATION_PAUSED`: the kill switch. Triggers record `skipped (paused)` and alert. */
  paused: boolean;
  /** `VALIDATION_TIMEOUT_SECONDS` (default 300): how long a new credential may take to start working. */
  validationTimeoutSeconds: number;
  /** `RETRY_FAILED_AFTER_MINUTES` (default 60): cool-down before a non-HTTP trigger retries a failed run. */
  retryFailedAfterMinutes: number;
}

export interface BackoffProfile {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
}

export interface EngineTiming {
  /** Blob lease duration (15–60 s). */
  leaseSeconds: number;
  /** How often the lease keeper renews; well under `leaseSeconds`. */
  leaseRenewEveryMs: number;
  /** Backoff between validation attempts (the total is bounded by `validationTimeoutSeconds`). */
  validation: BackoffProfile;
  /** Attempts per Key Vault write while promoting (siblings must not stay on different keys). */
  promoteAttempts: number;
  promoteBackoff: BackoffProfile;
}

export const DEFAULT_TIMING: EngineTiming = {
  leaseSeconds: 60,
  leaseRenewEveryMs: 20_000,
  validation: { initialDelayMs: 2_000, maxDelayMs: 30_000, factor: 2 },
  promoteAttempts: 4,
  promoteBackoff: { initialDelayMs: 1_000, maxDelayMs: 8_000, factor: 2 },
};

export const DEFAULT_SETTINGS: EngineSettings = {
  paused: false,
  validationTimeoutSeconds: 300,
  retryFailedAfterMinutes: 60,
};

export interface EngineDeps {
  store: SecretStore;
  journal: Journal;
  locks: LockManager;
  queue: RunQueue;
  propagator: Propagator;
  notifier: Notifier;
  clock: Clock;
  log: Logger;
  catalog: SecretCatalog;
  providers: ProviderRegistry;
  settings: EngineSettings;
  timing?: Partial<EngineTiming>;
}

export function timingOf(deps: EngineDeps): EngineTiming {
  return { ...DEFAULT_TIMING, ...deps.timing };
}

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', '']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = (fallback: number) =>
  z
    .string()
    .trim()
    .transform((v, ctx) => {
      if (v === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) {
        ctx.addIssue({ code: 'custom', message: 'must be a whole number ≥ 0' });
        return z.NEVER;
      }
      return n;
    });

const settingsSchema = z.object({
  ROTATION_PAUSED: flag.optional(),
  VALIDATION_TIMEOUT_SECONDS: positiveInt(DEFAULT_SETTINGS.validationTimeoutSeconds).optional(),
  RETRY_FAILED_AFTER_MINUTES: positiveInt(DEFAULT_SETTINGS.retryFailedAfterMinutes).optional(),
});

/**
 * Reads the engine settings from app settings / environment variables. Throws a `ZodError` listing
 * every bad setting (the composition root reports it like a bad `rotation.json`).
 */
export function engineSettingsFromEnv(env: Record<string, string | undefined>): EngineSettings {
  const parsed = settingsSchema.parse({
    ROTATION_PAUSED: env.ROTATION_PAUSED,
    VALIDATION_TIMEOUT_SECONDS: env.VALIDATION_TIMEOUT_SECONDS,
    RETRY_FAILED_AFTER_MINUTES: env.RETRY_FAILED_AFTER_MINUTES,
  });
  return {
    paused: parsed.ROTATION_PAUSED ?? DEFAULT_SETTINGS.paused,
    validationTimeoutSeconds: parsed.VALIDATION_TIMEOUT_SECONDS ?? DEFAULT_SETTINGS.validationTimeoutSeconds,
    retryFailedAfterMinutes: parsed.RETRY_FAILED_AFTER_MINUTES ?? DEFAULT_SETTINGS.retryFailedAfterMinutes,
  };
}
