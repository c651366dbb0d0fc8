/**
 * The composition root's contract: everything a trigger, the worker, the CLI or a report needs, wired once
 * per process. `composition/root.ts` builds it from the app settings (local emulator or real Azure);
 * tests build one over the in-memory fakes. Function files take a `getApp` function so their handlers can
 * be tested with either.
 *
 * Why a top-level folder: the root must import `azure/`, `providers/` and `consumers/`, and `rotation/`
 * (which defines the ports) must not; `functions/` and `cli/` both use it.
 */
import type { ResolvedConfig } from '../rotation/config/index.js';
import type { EngineDeps } from '../rotation/engine/index.js';
import type { HeartbeatStore, Logger } from '../rotation/ports.js';
import type { AppSettings } from '../rotation/settings.js';

export interface RotatorApp {
  settings: AppSettings;
  config: ResolvedConfig;
  /** Ports and settings the engine runs on (store, journal, locks, queue, providers, consumers, alerts). */
  engine: EngineDeps;
  log: Logger;
  /** `local` when running against the embedded emulator, `azure` against real endpoints. */
  mode: 'local' | 'azure';
  /**
   * Where the daily sweep writes its heartbeat row (Azure: table `rotationsweeps`, `azure/heartbeat.ts`).
   * Optional: without it the sweep logs the heartbeat and the inventory cannot tell `overdue` by sweep time.
   */
  heartbeat?: HeartbeatStore;
}

/** Lazily builds (once) and returns the app; rejects with the same `ConfigInvalid` on every call when the config is bad. */
export type GetApp = () => Promise<RotatorApp>;
