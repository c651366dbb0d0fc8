/**
 * The inventory report: every secret in every configured vault, managed or not, with one state each.
 * `buildInventory` is pure — it takes what `collectInventory` read (listings, runs, last sweep) — so the
 * derivation is tested without any port.
 */
import type { ResolvedConfig } from '../config/index.js';
import { RotationError } from '../errors.js';
import { readTag, TAGS } from '../kinds.js';
import type { RunRecord, SecretVersionProperties } from '../ports.js';
import {
  deriveState,
  INVENTORY_STATES,
  type InventoryState,
  isInProgress,
  latestRelevantRun,
  runTime,
} from './states.js';

export interface InventoryRunRef {
  id: string;
  status: RunRecord['status'];
  phase: RunRecord['phase'];
  /** When it finished (or last changed while it runs). */
  at: string;
  errorCode?: string;
}

export interface InventoryRow {
  vault: string;
  name: string;
  managed: boolean;
  /** `config` (rotation.json) or `tags` (Microsoft-style rotation tags); absent when unmanaged. */
  source?: 'config' | 'tags';
  /** From the config, else the version's `Provider` tag. */
  provider?: string;
  mode?: 'automatic' | 'manual' | 'not-implemented';
  group?: string;
  /** Known when the listing carries it or the run that wrote the current version recorded it. */
  currentVersion?: string;
  credentialId?: string;
  enabled: boolean;
  contentType?: string;
  created?: string;
  updated?: string;
  expires?: string;
  daysLeft?: number;
  lastRun?: InventoryRunRef;
  state: InventoryState;
  stateReason: string;
  /** Inside the due window or expired (managed only): the sweep queues a run. */
  inWindow: boolean;
  owners: string[];
}

export interface InventoryProblem {
  vault: string;
  secret?: string;
  code: string;
  message: string;
}

export interface InventoryReport {
  kind: 'inventory';
  generatedAt: string;
  lastSweepAt?: string;
  summary: { total: number; byState: Record<InventoryState, number> };
  rows: InventoryRow[];
  /** Vaults that could not be listed, configured secrets missing from their vault. */
  problems: InventoryProblem[];
}

export interface VaultListing {
  vault: string;
  /** Undefined when the listing failed (see `error`). */
  secrets?: SecretVersionProperties[];
  error?: { code: string; message: string };
}

export interface InventoryInput {
  now: Date;
  config: Pick<ResolvedConfig, 'resolveSecret' | 'secrets' | 'vaults'>;
  listings: VaultListing[];
  /** Recent runs of the listed vaults (any order). */
  runs: readonly RunRecord[];
  /** Provider modes by kind (the registry); kinds absent are `not-implemented`. */
  modes?: Partial<Record<string, 'automatic' | 'manual'>>;
  lastSweepAt?: Date;
}

export function emptyStateCounts(): Record<InventoryState, number> {
  return Object.fromEntries(INVENTORY_STATES.map((s) => [s, 0])) as Record<InventoryState, number>;
}

/** Runs by `<vault>/<group>`, for one lookup per secret. */
export function groupRuns(runs: readonly RunRecord[]): Map<string, RunRecord[]> {
  const byGroup = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const key = groupKey(run.vault, run.group);
    const list = byGroup.get(key);
    if (list) list.push(run);
    else byGroup.set(key, [run]);
  }
  return byGroup;
}

export function groupKey(vault: string, group: string): string {
  return `${vault.toLowerCase()}/${group.toLowerCase()}`;
}

function runRef(run: RunRecord): InventoryRunRef {
  return {
    id: run.id,
    status: run.status,
    phase: run.phase,
    at: runTime(run),
    ...(run.error ? { errorCode: run.error.code } : {}),
  };
}

/** The current version id: from the listing, else from the run whose `RotationId` tag the version carries. */
function currentVersionOf(props: SecretVersionProperties, runs: readonly RunRecord[]): string | undefined {
  if (props.version) return props.version;
  const rotationId = readTag(props.tags, TAGS.rotationId);
  if (!rotationId) return undefined;
  const run = runs.find((r) => r.id === rotationId);
  if (!run) return undefined;
  const wanted = props.name.toLowerCase();
  for (const [name, version] of Object.entries(run.newVersions)) {
    if (name.toLowerCase() === wanted) return version;
  }
  return undefined;
}

export function buildInventoryRow(
  props: SecretVersionProperties,
  input: Pick<InventoryInput, 'now' | 'config' | 'modes' | 'lastSweepAt'>,
  runsByGroup: ReadonlyMap<string, RunRecord[]>,
): InventoryRow {
  const resolved = input.config.resolveSecret(props.vault, props.name, props.tags);
  const managed = resolved !== undefined;
  const groupRunsOf = resolved
    ? (runsByGroup.get(groupKey(resolved.group.vault, resolved.group.id)) ?? [])
    : [];
  const lastRun = latestRelevantRun(groupRunsOf);
  const decision = deriveState({
    managed,
    now: input.now,
    expiresOn: props.expiresOn,
    createdOn: props.createdOn,
    lastRun,
    lastSweepAt: input.lastSweepAt,
  });
  const provider = resolved?.secret.provider ?? readTag(props.tags, TAGS.provider);
  const mode = resolved ? (input.modes?.[resolved.secret.provider] ?? 'not-implemented') : undefined;
  const currentVersion = currentVersionOf(props, groupRunsOf);
  const credentialId = readTag(props.tags, TAGS.credentialId);
  return {
    vault: props.vault.toLowerCase(),
    name: props.name,
    managed,
    ...(resolved ? { source: resolved.secret.source, group: resolved.group.id } : {}),
    ...(provider ? { provider } : {}),
    ...(mode ? { mode } : {}),
    ...(currentVersion ? { currentVersion } : {}),
    ...(credentialId ? { credentialId } : {}),
    enabled: props.enabled,
    ...(props.contentType ? { contentType: props.contentType } : {}),
    ...(props.createdOn ? { created: props.createdOn.toISOString() } : {}),
    ...(props.updatedOn ? { updated: props.updatedOn.toISOString() } : {}),
    ...(props.expiresOn ? { expires: props.expiresOn.toISOString() } : {}),
    ...(decision.daysLeft !== undefined ? { daysLeft: decision.daysLeft } : {}),
    ...(lastRun ? { lastRun: runRef(lastRun) } : {}),
    state: decision.state,
    stateReason: decision.reason,
    inWindow: decision.inWindow,
    owners: resolved ? [...resolved.secret.owners] : [],
  };
}

/** Rows sorted by state precedence, then days left, then vault and name. */
export function compareRows(a: InventoryRow, b: InventoryRow): number {
  const byState = INVENTORY_STATES.indexOf(a.state) - INVENTORY_STATES.indexOf(b.state);
  if (byState !== 0) return byState;
  const da = a.daysLeft ?? Number.POSITIVE_INFINITY;
  const db = b.daysLeft ?? Number.POSITIVE_INFINITY;
  if (da !== db) return da < db ? -1 : 1;
  return a.vault.localeCompare(b.vault) || a.name.toLowerCase().localeCompare(b.name.toLowerCase());
}

export function buildInventory(input: InventoryInput): InventoryReport {
  const runsByGroup = groupRuns(input.runs);
  const rows: InventoryRow[] = [];
  const problems: InventoryProblem[] = [];
  for (const listing of input.listings) {
    if (!listing.secrets) {
      problems.push({
        vault: listing.vault,
        code: listing.error?.code ?? 'AzureUnavailable',
        message: listing.error?.message ?? `vault ${listing.vault} could not be listed`,
      });
      continue;
    }
    const present = new Set<string>();
    for (const props of listing.secrets) {
      present.add(props.name.toLowerCase());
      rows.push(buildInventoryRow(props, input, runsByGroup));
    }
    for (const secret of input.config.secrets) {
      if (secret.vault !== listing.vault.toLowerCase() || present.has(secret.name.toLowerCase())) continue;
      problems.push({
        vault: listing.vault,
        secret: secret.name,
        code: 'SecretNotFound',
        message: `secret ${secret.name} is configured in rotation.json but does not exist in vault ${listing.vault}`,
      });
    }
  }
  rows.sort(compareRows);
  const byState = emptyStateCounts();
  for (const row of rows) byState[row.state] += 1;
  return {
    kind: 'inventory',
    generatedAt: input.now.toISOString(),
    ...(input.lastSweepAt ? { lastSweepAt: input.lastSweepAt.toISOString() } : {}),
    summary: { total: rows.length, byState },
    rows,
    problems,
  };
}

/** True when the group of `row` has a run queued or running (the sweep leaves it alone). */
export function groupBusy(row: InventoryRow, runsByGroup: ReadonlyMap<string, RunRecord[]>): boolean {
  if (!row.group) return false;
  return (runsByGroup.get(groupKey(row.vault, row.group)) ?? []).some((r) => isInProgress(r));
}

/** Keeps the rows in `state`; the summary still counts every state. */
export function filterInventory(report: InventoryReport, state: InventoryState | undefined): InventoryReport {
  return state ? { ...report, rows: report.rows.filter((r) => r.state === state) } : report;
}

/** Parses a state name (`--state`, `?state=`); `BadRequest` listing the states when unknown. */
export function parseInventoryState(value: string | null | undefined): InventoryState | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if ((INVENTORY_STATES as readonly string[]).includes(value)) return value as InventoryState;
  throw new RotationError('BadRequest', 'Unknown inventory state.', {
    details: [{ path: 'state', message: `must be one of ${INVENTORY_STATES.join(', ')}` }],
  });
}
