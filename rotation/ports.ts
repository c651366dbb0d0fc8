/**
 * Ports: the only way the engine reaches the outside world. Azure implementations live in `azure/`,
 * providers in `providers/`, consumers in `consumers/`; in-memory fakes for unit tests in `rotation/fakes/`.
 * The engine imports no SDK.
 */
import type { ZodType } from 'zod';
import type { ProviderKind, RunPhase, RunStatus } from './kinds.js';
import type { CredentialGroup, ManagedSecret } from './model.js';

export interface Clock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

// ---------------------------------------------------------------------------------------------
// Key Vault

export interface SecretVersionProperties {
  vault: string;
  name: string;
  /** Undefined only in secret listings (Key Vault lists secrets without their version). */
  version: string | undefined;
  enabled: boolean;
  createdOn?: Date;
  updatedOn?: Date;
  expiresOn?: Date;
  notBefore?: Date;
  contentType?: string;
  tags: Record<string, string>;
}

export interface SecretVersion extends SecretVersionProperties {
  version: string;
  value: string;
}

export interface NewSecretVersion {
  value: string;
  contentType?: string;
  tags: Record<string, string>;
  expiresOn?: Date;
  notBefore?: Date;
}

export interface SecretVersionPatch {
  enabled?: boolean;
  tags?: Record<string, string>;
  expiresOn?: Date;
}

export interface SecretStore {
  /** The latest version with its value; undefined when the secret does not exist. */
  getCurrent(vault: string, name: string): Promise<SecretVersion | undefined>;
  getVersion(vault: string, name: string, version: string): Promise<SecretVersion | undefined>;
  /** Properties of the latest version of every secret (no values read). */
  listSecrets(vault: string): AsyncIterable<SecretVersionProperties>;
  listVersions(vault: string, name: string): AsyncIterable<SecretVersionProperties & { version: string }>;
  setSecret(
    vault: string,
    name: string,
    secret: NewSecretVersion,
  ): Promise<SecretVersionProperties & { version: string }>;
  updateVersion(
    vault: string,
    name: string,
    version: string,
    patch: SecretVersionPatch,
  ): Promise<SecretVersionProperties & { version: string }>;
  /**
   * Optional: true when this store itself wrote `version` of `name` moments ago, tagged as the rotator's
   * (`RotatedBy`): what reading the version back would show `SecretNewVersionCreated`'s handler. False
   * means "not known here" (written elsewhere, or long ago): read it. See `rotation/own-versions.ts`.
   */
  wroteOwnVersion?(vault: string, name: string, version: string): boolean;
}

// ---------------------------------------------------------------------------------------------
// Providers

export interface ProviderContext<S> {
  group: CredentialGroup;
  settings: S;
  clock: Clock;
  log: Logger;
  /** Resolves `{ secretRef }` settings and reads partner secrets. */
  secrets: SecretStore;
  signal?: AbortSignal;
}

/** What Key Vault serves now for the group (the first secret's current version). */
export interface CurrentCredential {
  value: string;
  version: string;
  credentialId: string | undefined;
  tags: Record<string, string>;
}

export interface IssuedCredential {
  value: string;
  /** New `CredentialId` tag value (`key1`, `Primary`, a JWT `kid`, `gen-N`). */
  credentialId: string;
  /** ARM id of the provider resource, written as the `ProviderAddress` tag. */
  providerAddress?: string;
  /** Values for other parts of a multi-part credential, keyed by part name (Razorpay). */
  parts?: Record<string, string>;
}

export type IssueResult =
  | { kind: 'issued'; credential: IssuedCredential }
  /** Manual providers: a human must mint the credential; the run ends `manual-action-required`. */
  | { kind: 'manual'; instructions: string; dashboardUrl?: string };

export type ValidationResult =
  | { ok: true }
  | {
      ok: false;
      /** `rejected`: the provider says the credential is bad. `unavailable`: could not tell (outage, 5xx). */
      outcome: 'rejected' | 'unavailable';
      reason: string;
      retryAfterSeconds?: number;
    };

export interface RevokeResult {
  /** What was made worthless, e.g. `key1`, `kid:abc`. */
  revoked: string[];
  /** What still waits on a human (manual providers). */
  pendingHuman: string[];
}

export interface CredentialProvider<S = unknown> {
  readonly kind: ProviderKind;
  readonly mode: 'automatic' | 'manual';
  /**
   * `in-process`: `issue` and `validate` call nothing outside the process (a generated secret), so the
   * engine journals `issued` and `validated` in one write, after validation; minting again after a crash
   * costs nothing. Absent: the provider minted something outside, and `issued` is journaled at once.
   */
  readonly issuing?: 'in-process';
  readonly settingsSchema: ZodType<S>;
  /**
   * Optional: starts, in the background, the calls `issue` (and `validate`) will need that do not depend
   * on the current value — listing an ARM key pair, reading an account's endpoint — so they overlap the
   * engine's Key Vault reads instead of following them. The engine calls it at most once per run attempt,
   * under the group's lease, before it reads the group; `issue` with the same `ctx` uses what it started.
   * Must not throw and must change nothing: a failure surfaces when `issue` awaits the call.
   */
  prepare?(ctx: ProviderContext<S>): void;
  /** Mints a new credential without breaking `current` (the inactive key of a pair, a fresh secret). */
  issue(ctx: ProviderContext<S>, current: CurrentCredential | undefined): Promise<IssueResult>;
  /** Checks the credential against the real service, the way a client would. */
  validate(ctx: ProviderContext<S>, credential: IssuedCredential): Promise<ValidationResult>;
  /**
   * Fetches the value of an already-issued credential without minting again (resume after a crash
   * between `issued` and `promoted`). Absent when the provider cannot (a JWT secret lives nowhere else).
   */
  retrieve?(ctx: ProviderContext<S>, credentialId: string): Promise<IssuedCredential | undefined>;
  /** Makes a credential worthless (compromise response). */
  revoke?(
    ctx: ProviderContext<S>,
    credential: { credentialId: string | undefined; version: string },
  ): Promise<RevokeResult>;
  /** Works out which `CredentialId` a value is when the tag is missing (e.g. via listKeys). */
  identify?(ctx: ProviderContext<S>, value: string): Promise<string | undefined>;
  /**
   * When the engine calls `revoke` on the previous credential: `on-compromise` (default) only for
   * compromised runs — an ordinary key-pair rotation leaves the previous key working; `always` after every
   * rotation (a provider whose policy is to kill the old credential as soon as the new one is live).
   */
  readonly revokePolicy?: 'on-compromise' | 'always';
}

/**
 * Providers the engine can run, by kind. Partial on purpose: a kind without an adapter yet fails its runs
 * with `ProviderNotImplemented` instead of being stubbed. Built by `providers/registry.ts`.
 */
export type ProviderRegistry = Partial<Record<ProviderKind, CredentialProvider>>;

/**
 * Which secrets are managed (from `rotation.json`, or inferred from Microsoft-style tags) and how they
 * group. Names are matched case-insensitively; implementations return lowercased vault and group ids.
 */
export interface SecretCatalog {
  /** The managed secret, or undefined when the rotator does not manage it. */
  resolveSecret(vault: string, name: string): Promise<ManagedSecret | undefined>;
  /** The credential group with every member secret, or undefined when unknown. */
  resolveGroup(vault: string, group: string): Promise<CredentialGroup | undefined>;
  /**
   * Optional. Hands the catalog the tags of a secret's current version that the caller has just read or
   * listed (Key Vault's list returns each secret's tags), so that resolving the secret next costs no
   * Key Vault read of its own; `undefined`: the secret has no current version. They are kept exactly as
   * if the catalog had read them now (same cache, same expiry). A catalog that reads nothing ignores it.
   */
  primeTags?(vault: string, name: string, tags: Readonly<Record<string, string>> | undefined): void;
}

// ---------------------------------------------------------------------------------------------
// Runs, journal, lease, queue

export type TriggerKind = 'event' | 'sweep' | 'http' | 'cli' | 'submission' | 'rollback';

export interface Trigger {
  kind: TriggerKind;
  eventId?: string;
  eventType?: string;
  /** Caller identity (x-ms-client-principal name, CLI operator). */
  caller?: string;
  reason?: string;
}

export interface RunRequest {
  vault: string;
  /** Secret named by the trigger; the engine resolves its group. */
  secret: string;
  /** The version current when the trigger fired (run identity); resolved by the engine when absent. */
  triggerVersion?: string;
  trigger: Trigger;
  compromised?: boolean;
  dryRun?: boolean;
  requestedAt: string;
  /**
   * What the worker does (default `rotate`): `rollback` re-promotes the previous credential of the run
   * that wrote the current version; `repropagate` restarts/notifies the consumers that failed in run
   * `runId`, without rotating again.
   */
  action?: RunAction;
  /**
   * The run a `repropagate` request is about; on a `rotate` request, the unfinished run it continues (a
   * resume, a hand-over's propagation) — a run that finished meanwhile is resolved as any request is.
   */
  runId?: string;
}

export const RUN_ACTIONS = ['rotate', 'rollback', 'repropagate'] as const;
export type RunAction = (typeof RUN_ACTIONS)[number];

export interface PhaseEntry {
  phase: RunPhase;
  at: string;
}

export interface ConsumerOutcome {
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  detail?: string;
  at: string;
  attempts: number;
}

export interface RunRecord {
  /** Deterministic from (vault, group, triggerVersion): duplicates map to the same run. */
  id: string;
  vault: string;
  group: string;
  provider: ProviderKind;
  secrets: string[];
  triggerVersion: string;
  attempt: number;
  status: RunStatus;
  phase: RunPhase;
  phases: PhaseEntry[];
  trigger: Trigger;
  compromised: boolean;
  /** Version ids per secret before and after (never values). */
  previousVersions: Record<string, string>;
  newVersions: Record<string, string>;
  previousCredentialId?: string;
  credentialId?: string;
  /** Last 4 characters of the new credential, as provider dashboards show. */
  keyHint?: string;
  previousKeyHint?: string;
  consumers: ConsumerOutcome[];
  revoked: string[];
  pendingHuman: string[];
  alerts: { kind: string; channel: string; status: 'sent' | 'failed'; attempts: number; at: string }[];
  error?: { code: string; message: string; phase: RunPhase };
  /** Rollback runs only: the run whose credential was rolled back, and the versions re-promoted. */
  rollbackOf?: string;
  rollbackTo?: Record<string, string>;
  /** Each re-propagation of this run (POST /api/runs/{id}/propagate), oldest first. */
  repropagations?: Repropagation[];
  /** Manual providers: the human's rotation task this run opened (`rotation/manual`). */
  task?: ManualTask;
  /**
   * Manual providers: how a human handed the credential over. Recorded with `promoted` by the trigger that
   * promoted it; the worker that propagates reads it to word the run's last alert.
   */
  handOver?: RunHandOver;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export interface RunHandOver {
  via: 'submission' | 'key-vault';
  caller?: string;
  /** `key-vault`: the version set by hand. */
  version?: string;
  /** What to do with the previous key in the provider's dashboard (normal rotations; no value in it). */
  revokeOld?: string;
}

export interface Repropagation {
  requestedAt: string;
  at: string;
  caller?: string;
  reason?: string;
  /** Consumers propagated again (those that had failed). */
  consumers: string[];
}

/**
 * A rotation task for a human (manual providers: a human mints the key, the rotator validates, promotes
 * and propagates it). Lives on the run that asked for it; the run stays `manual-action-required` until a
 * valid value arrives (`POST /api/secrets/{name}/versions` or a version set in Key Vault by hand).
 */
export interface ManualTask {
  openedAt: string;
  /** Expiry of the version Key Vault served when the task opened; absent when it had none. */
  deadline?: string;
  /** Compromise response: replace now, then revoke the leaked key in the dashboard. */
  urgent: boolean;
  /** Provider dashboard where the key is minted, when the provider names one. */
  dashboardUrl?: string;
  /** Reminders the sweep sent, by days before the deadline (each threshold at most once). */
  reminders: { days: number; at: string }[];
  /** When the deadline passed with the task still open (alerted once). */
  escalatedAt?: string;
  /** Values set in Key Vault by hand that the provider rejected and the rotator reverted (never the value). */
  rejections?: { at: string; version: string; reason: string }[];
  closedAt?: string;
  /** How the task was closed: a submission, a valid version set by hand, or another run that replaced the key. */
  closedBy?: {
    via: 'submission' | 'key-vault' | 'superseded';
    caller?: string;
    version?: string;
    runId?: string;
  };
}

export interface HistoryFilter {
  since?: Date;
  until?: Date;
  vault?: string;
  secret?: string;
  group?: string;
  status?: RunStatus;
}

/** Where a run's row lives, when the caller knows it: its vault and credential group. */
export interface RunWhere {
  vault: string;
  group: string;
}

export interface Journal {
  /**
   * The run with that id. `where` (optional): the run's vault and group, which the caller knows when it
   * derived the id from them — one point read instead of the id index's two. A run of that id in
   * another vault or group is not found then (run ids are derived from vault and group, so there is none).
   */
  get(id: string, where?: RunWhere): Promise<{ run: RunRecord; etag: string } | undefined>;
  /** Inserts; throws `RotationError(runInProgress)` when a run with that id exists. */
  create(run: RunRecord): Promise<{ etag: string }>;
  /** Optimistic replace; throws `RotationError(runInProgress)` when the etag is stale. */
  replace(run: RunRecord, etag: string): Promise<{ etag: string }>;
  list(filter: HistoryFilter): AsyncIterable<RunRecord>;
  latestForGroup(vault: string, group: string): Promise<RunRecord | undefined>;
}

export interface Lease {
  readonly key: string;
  /** Extends the lease; throws `RotationError(leaseLost)` when another holder has taken it. */
  renew(): Promise<void>;
  release(): Promise<void>;
}

export interface LockManager {
  /**
   * Undefined when someone else holds the lease. The engine passes `<vault>/<group>` (lowercased) as
   * `key`; the Azure adapter keeps it as blob `<key>` in container `rotation-locks`. `durationSeconds`
   * is 15–60 (blob lease limits); the engine renews well before it ends.
   */
  tryAcquire(key: string, durationSeconds: number): Promise<Lease | undefined>;
}

export interface RunQueue {
  enqueue(request: RunRequest, options?: { visibilityDelaySeconds?: number }): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Propagation and alerts

export interface Propagator {
  /**
   * Optional: starts reading what the group's consumers need from Key Vault (`{ secretRef }` settings
   * such as a webhook's signing key) so it is ready when `propagate` follows; the engine calls it as the
   * promotion begins. Refs to the group's own secrets are not read ahead. Never throws.
   */
  prepare?(group: CredentialGroup): void;
  /**
   * Optional: announces, when a worker takes run `runId`, that it will propagate to the group's consumers,
   * so a restart shared with other runs waits for the runs announced (and no longer) instead of a fixed
   * window. Returns the withdrawal, which the engine calls when the run's attempt ends. Never throws.
   */
  expect?(group: CredentialGroup, runId: string): () => void;
  /** Restarts / notifies every consumer; never throws for one consumer's failure. */
  propagate(run: RunRecord, group: CredentialGroup): Promise<ConsumerOutcome[]>;
}

export type AlertKind =
  | 'run-failed'
  | 'poison-message'
  | 'manual-action-required'
  | 'secret-expired'
  | 'run-succeeded'
  | 'propagation-failed'
  | 'invalid-value-reverted'
  | 'rotation-paused'
  | 'digest';

export interface Alert {
  kind: AlertKind;
  severity: 'info' | 'warning' | 'critical';
  title: string;
  /** Plain text; never a secret value. */
  text: string;
  vault?: string;
  secrets?: string[];
  runId?: string;
  channels: string[];
}

export interface AlertDelivery {
  channel: string;
  status: 'sent' | 'failed';
  attempts: number;
  at: string;
  error?: string;
}

export interface Notifier {
  send(alert: Alert): Promise<AlertDelivery[]>;
}

export type { CredentialGroup, ManagedSecret };

// ---------------------------------------------------------------------------------------------
// Daily sweep heartbeat

export interface SweepProblem {
  step: string;
  /** What the problem is about: `<vault>`, `<vault>/<secret>`, a run id. */
  target?: string;
  code: string;
  message: string;
}

export interface SweepStepSummary {
  name: string;
  status: 'ok' | 'partial' | 'failed' | 'skipped';
  counts: Record<string, number>;
  problems: number;
}

/**
 * One row per sweep: when it ran and what it did (never a value). The inventory reads the latest to tell
 * `overdue` from `due`; ops read it to see that the sweep runs at all.
 */
export interface SweepHeartbeat {
  id: string;
  startedAt: string;
  finishedAt: string;
  trigger: 'timer' | 'cli' | 'http';
  outcome: 'ok' | 'partial' | 'failed';
  vaults: number;
  secrets: number;
  steps: SweepStepSummary[];
  /** The first problems (capped) so the row stays small. */
  problems: SweepProblem[];
}

export interface HeartbeatStore {
  record(beat: SweepHeartbeat): Promise<void>;
  /** The most recent sweep, or undefined when none ran yet. */
  latest(): Promise<SweepHeartbeat | undefined>;
}
