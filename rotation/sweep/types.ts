/**
 * The daily sweep's contract: a list of steps run one after the other over one inventory scan. Each step
 * is isolated (its failure is recorded, the next step runs) and works item by item with bounded
 * concurrency (one item failing never stops the others). A new step (e.g. the manual-provider reminders)
 * is one entry in `SWEEP_STEPS` (`steps.ts`).
 */
import type { ResolvedConfig } from '../config/index.js';
import type { EngineDeps } from '../engine/index.js';
import type { ProviderKind } from '../kinds.js';
import type {
  CredentialGroup,
  HeartbeatStore,
  ManagedSecret,
  RunRecord,
  SecretStore,
  SecretVersionProperties,
  SweepHeartbeat,
  SweepProblem,
} from '../ports.js';
import type { InventoryRow, InventoryScan } from '../reports/index.js';

/** Disables versions past their grace period (jwt-secret: `disableExpiredJwtVersions`). */
export type VersionRetirer = (
  store: SecretStore,
  group: Pick<CredentialGroup, 'vault' | 'secrets'>,
  now: Date,
  graceDays: number,
) => Promise<{ secret: string; version: string }[]>;

/** A managed secret of the scan: its inventory row, listing properties and resolved group. */
export interface ManagedEntry {
  row: InventoryRow;
  props: SecretVersionProperties;
  secret: ManagedSecret;
  group: CredentialGroup;
}

export interface SweepContext {
  deps: EngineDeps;
  config: ResolvedConfig;
  /** The sweep's "now" (the engine clock when the scan started). */
  now: Date;
  scan: InventoryScan;
  /** Every managed secret found in the listings. */
  managed: ManagedEntry[];
  /** Recent runs by `<vault>/<group>` (see `groupKey`). */
  runsByGroup: ReadonlyMap<string, RunRecord[]>;
  /** `ROTATION_CONCURRENCY`: items a step works on at once. */
  concurrency: number;
  retirers: Partial<Record<ProviderKind, VersionRetirer>>;
  /** The sweep before this one, when a heartbeat store knows it (reminders use it to send once). */
  previous?: SweepHeartbeat;
  /** Minutes after which a queued or running run counts as abandoned and is queued again. */
  staleAfterMinutes: number;
  /** Groups (`<vault>/<group>`) a step already put on the queue in this sweep: later steps skip them. */
  queuedGroups: Set<string>;
}

export interface StepOutcome {
  counts: Record<string, number>;
  problems: Omit<SweepProblem, 'step'>[];
  /** Set when the step had nothing to do for a reason worth showing (`no digest channel`). */
  skipped?: string;
  /** Lines for the digest (`queued 3 runs`). */
  notes?: string[];
}

export interface SweepStep {
  /** Short kebab-case name, shown in the heartbeat and the digest. */
  readonly name: string;
  run(ctx: SweepContext): Promise<StepOutcome>;
}

export interface SweepOptions {
  engine: EngineDeps;
  config: ResolvedConfig;
  heartbeat?: HeartbeatStore | undefined;
  /** Default 8 (`ROTATION_CONCURRENCY`). */
  concurrency?: number;
  retirers?: Partial<Record<ProviderKind, VersionRetirer>>;
  trigger?: SweepHeartbeat['trigger'];
  /** Default `SWEEP_STEPS`. The digest and the heartbeat always run last. */
  steps?: readonly SweepStep[];
  staleAfterMinutes?: number;
  /** Only these vaults (default every configured vault). */
  vaults?: string[];
}

export interface StepResult extends StepOutcome {
  name: string;
  status: 'ok' | 'partial' | 'failed' | 'skipped';
  durationMs: number;
}

export interface SweepResult {
  heartbeat: SweepHeartbeat;
  steps: StepResult[];
  /** Undefined when the scan itself failed. */
  scan?: InventoryScan;
}
