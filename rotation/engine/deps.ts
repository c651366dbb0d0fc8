/**
 * What the engine needs from the outside world (all ports), and the settings and timings that shape a
 * run. The composition root builds one `EngineDeps` for the Functions host, the local host and the CLI;
 * tests build one over the in-memory fakes (`rotation/fakes`).
 */
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
import type { AppSettings } from '../settings.js';

export interface EngineSettings {
  /** `ROTATION_PAUSED`: the kill switch. Triggers record `skipped (paused)` and alert. */
  paused: boolean;
  /** `VALIDATION_TIMEOUT_SECONDS` (default 300): how long a new credential may take to start working. */
  validationTimeoutSeconds: number;
  /** `RETRY_FAILED_AFTER_MINUTES` (default 60): cool-down before a non-HTTP trigger retries a failed run. */
  retryFailedAfterMinutes: number;
  /**
   * `ROTATION_CONCURRENCY` (default 8): most runs executing at once across all workers (a blob-lease
   * slot per run, see `slots.ts`), under Key Vault's and ARM's throttling limits.
   */
  concurrency?: number;
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
  /**
   * How old the lease's last confirmation by storage may be when a step acts on the outside world. Each
   * phase's journal write confirms the lease alongside (no round trip of its own), so a run that goes
   * straight on acts on a confirmation milliseconds old; one held up longer than this confirms again.
   */
  leaseFreshMs: number;
  /** Backoff between validation attempts (the total is bounded by `validationTimeoutSeconds`). */
  validation: BackoffProfile;
  /** Attempts per Key Vault write while promoting (siblings must not stay on different keys). */
  promoteAttempts: number;
  promoteBackoff: BackoffProfile;
}

export const DEFAULT_TIMING: EngineTiming = {
  leaseSeconds: 60,
  leaseRenewEveryMs: 20_000,
  leaseFreshMs: 500,
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

/** The engine's part of the app settings (`rotation/settings.ts` parses and validates them). */
export function engineSettingsFrom(
  settings: Pick<
    AppSettings,
    'ROTATION_PAUSED' | 'VALIDATION_TIMEOUT_SECONDS' | 'RETRY_FAILED_AFTER_MINUTES'
  > &
    Partial<Pick<AppSettings, 'ROTATION_CONCURRENCY'>>,
): EngineSettings {
  return {
    paused: settings.ROTATION_PAUSED,
    validationTimeoutSeconds: settings.VALIDATION_TIMEOUT_SECONDS,
    retryFailedAfterMinutes: settings.RETRY_FAILED_AFTER_MINUTES,
    ...(settings.ROTATION_CONCURRENCY === undefined ? {} : { concurrency: settings.ROTATION_CONCURRENCY }),
  };
}
