/**
 * The history report: runs filtered by time, secret, status (and vault/group), newest first, each with
 * its trigger, phases and times, versions old → new, `CredentialId`, key hints, consumer outcomes,
 * revocations and duration. Query parameters are parsed here (zod at the edge) for HTTP and the CLI.
 */
import { z } from 'zod';
import { GROUP_NAME_PATTERN, GROUP_NAME_RULE, isSecretName, isVaultName } from '../config/names.js';
import { type ErrorDetail, RotationError } from '../errors.js';
import { RUN_STATUSES, type RunStatus } from '../kinds.js';
import type { ConsumerOutcome, HistoryFilter, Journal, PhaseEntry, RunRecord } from '../ports.js';

export const DEFAULT_HISTORY_LIMIT = 1000;
export const MAX_HISTORY_LIMIT = 10_000;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** ISO 8601 date or date-time; a date alone means midnight UTC (for `until`, the end of that day). */
function dateParam(endOfDay: boolean) {
  return z
    .string()
    .trim()
    .refine((v) => DATE_ONLY.test(v) || (/^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v))), {
      error: 'must be an ISO 8601 date or date-time, e.g. 2026-03-01 or 2026-03-01T12:00:00Z',
    })
    .transform((v) => {
      if (!DATE_ONLY.test(v)) return new Date(v);
      const day = new Date(`${v}T00:00:00.000Z`);
      return endOfDay ? new Date(day.getTime() + 86_399_999) : day;
    });
}

export const historyQuerySchema = z
  .strictObject({
    since: dateParam(false).optional(),
    until: dateParam(true).optional(),
    secret: z.string().trim().refine(isSecretName, { error: 'must be a Key Vault secret name' }).optional(),
    status: z.enum(RUN_STATUSES, { error: `must be one of ${RUN_STATUSES.join(', ')}` }).optional(),
    vault: z.string().trim().refine(isVaultName, { error: 'must be a Key Vault name' }).optional(),
    group: z.string().trim().regex(GROUP_NAME_PATTERN, { error: GROUP_NAME_RULE }).optional(),
    limit: z
      .string()
      .trim()
      .regex(/^\d+$/, { error: 'must be a whole number' })
      .transform(Number)
      .refine((n) => n >= 1 && n <= MAX_HISTORY_LIMIT, { error: `must be from 1 to ${MAX_HISTORY_LIMIT}` })
      .optional(),
  })
  .refine((q) => !q.since || !q.until || q.since.getTime() <= q.until.getTime(), {
    error: 'must not be before since',
    path: ['until'],
  });

export interface HistoryQuery extends HistoryFilter {
  limit: number;
}

/**
 * Parses history filters from query parameters (strings). Unknown parameters are rejected so a typo
 * (`?stauts=failed`) does not silently return everything. `ignore` names parameters handled elsewhere
 * (`format`, `code`).
 */
export function parseHistoryQuery(
  params: Record<string, string | undefined>,
  ignore: readonly string[] = ['format', 'code'],
): HistoryQuery {
  const input: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '' && !ignore.includes(key)) input[key] = value;
  }
  const parsed = historyQuerySchema.safeParse(input);
  if (!parsed.success) {
    const details: ErrorDetail[] = parsed.error.issues.map((issue) => ({
      path: issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : String(issue.path[0] ?? '$'),
      message: issue.code === 'unrecognized_keys' ? 'unknown filter' : issue.message,
    }));
    throw new RotationError('BadRequest', 'Invalid history filter.', { details });
  }
  const q = parsed.data;
  return {
    limit: q.limit ?? DEFAULT_HISTORY_LIMIT,
    ...(q.since ? { since: q.since } : {}),
    ...(q.until ? { until: q.until } : {}),
    ...(q.secret ? { secret: q.secret } : {}),
    ...(q.status ? { status: q.status } : {}),
    ...(q.vault ? { vault: q.vault.toLowerCase() } : {}),
    ...(q.group ? { group: q.group.toLowerCase() } : {}),
  };
}

export interface HistoryTrigger {
  kind: RunRecord['trigger']['kind'];
  eventId?: string;
  eventType?: string;
  /** The version current when the trigger fired (run identity). */
  version: string;
  caller?: string;
  reason?: string;
}

export interface HistoryRow {
  id: string;
  vault: string;
  group: string;
  provider: string;
  secrets: string[];
  status: RunStatus;
  phase: RunRecord['phase'];
  attempt: number;
  compromised: boolean;
  trigger: HistoryTrigger;
  phases: PhaseEntry[];
  versions: { secret: string; from?: string; to?: string }[];
  credentialId: { from?: string; to?: string };
  keyHint: { from?: string; to?: string };
  consumers: ConsumerOutcome[];
  revoked: string[];
  pendingHuman: string[];
  alerts: { kind: string; channel: string; status: string }[];
  error?: RunRecord['error'];
  createdAt: string;
  finishedAt?: string;
  /** Milliseconds from creation to finish; undefined while the run is unfinished. */
  durationMs?: number;
}

export interface HistoryReport {
  kind: 'history';
  generatedAt: string;
  filter: {
    since?: string;
    until?: string;
    secret?: string;
    status?: RunStatus;
    vault?: string;
    group?: string;
    limit: number;
  };
  summary: { total: number; byStatus: Record<RunStatus, number> };
  /** True when more runs matched than `limit`: the oldest were left out. */
  truncated: boolean;
  runs: HistoryRow[];
}

function definedOnly<T extends Record<string, string | undefined>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function historyRow(run: RunRecord): HistoryRow {
  const names = [
    ...new Set([...run.secrets, ...Object.keys(run.previousVersions), ...Object.keys(run.newVersions)]),
  ];
  const finished = run.finishedAt ? Date.parse(run.finishedAt) : undefined;
  return {
    id: run.id,
    vault: run.vault,
    group: run.group,
    provider: run.provider,
    secrets: [...run.secrets],
    status: run.status,
    phase: run.phase,
    attempt: run.attempt,
    compromised: run.compromised,
    trigger: {
      kind: run.trigger.kind,
      version: run.triggerVersion,
      ...definedOnly({
        eventId: run.trigger.eventId,
        eventType: run.trigger.eventType,
        caller: run.trigger.caller,
        reason: run.trigger.reason,
      }),
    },
    phases: run.phases.map((p) => ({ phase: p.phase, at: p.at })),
    versions: names.map((secret) => ({
      secret,
      ...definedOnly({ from: run.previousVersions[secret], to: run.newVersions[secret] }),
    })),
    credentialId: definedOnly({ from: run.previousCredentialId, to: run.credentialId }),
    keyHint: definedOnly({ from: run.previousKeyHint, to: run.keyHint }),
    consumers: run.consumers.map((c) => ({ ...c })),
    revoked: [...run.revoked],
    pendingHuman: [...run.pendingHuman],
    alerts: run.alerts.map((a) => ({ kind: a.kind, channel: a.channel, status: a.status })),
    ...(run.error ? { error: { ...run.error } } : {}),
    createdAt: run.createdAt,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    ...(finished !== undefined ? { durationMs: Math.max(0, finished - Date.parse(run.createdAt)) } : {}),
  };
}

export function emptyStatusCounts(): Record<RunStatus, number> {
  return Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
}

/** Pure: filters again (the journal may filter loosely), sorts newest first, caps at `limit`. */
export function buildHistory(runs: readonly RunRecord[], query: HistoryQuery, now: Date): HistoryReport {
  const matching = runs.filter((run) => matchesQuery(run, query));
  matching.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  const kept = matching.slice(0, query.limit);
  const byStatus = emptyStatusCounts();
  for (const run of kept) byStatus[run.status] += 1;
  return {
    kind: 'history',
    generatedAt: now.toISOString(),
    filter: {
      limit: query.limit,
      ...(query.since ? { since: query.since.toISOString() } : {}),
      ...(query.until ? { until: query.until.toISOString() } : {}),
      ...(query.secret ? { secret: query.secret } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.vault ? { vault: query.vault } : {}),
      ...(query.group ? { group: query.group } : {}),
    },
    summary: { total: kept.length, byStatus },
    truncated: matching.length > kept.length,
    runs: kept.map(historyRow),
  };
}

export function matchesQuery(run: RunRecord, query: HistoryFilter): boolean {
  if (query.vault && run.vault.toLowerCase() !== query.vault.toLowerCase()) return false;
  if (query.group && run.group.toLowerCase() !== query.group.toLowerCase()) return false;
  if (query.status && run.status !== query.status) return false;
  if (query.secret) {
    const wanted = query.secret.toLowerCase();
    if (!run.secrets.some((s) => s.toLowerCase() === wanted)) return false;
  }
  const created = Date.parse(run.createdAt);
  if (query.since && created < query.since.getTime()) return false;
  if (query.until && created > query.until.getTime()) return false;
  return true;
}

/** Reads the journal with the query's filters and builds the report. */
export async function collectHistory(
  deps: { journal: Journal; clock: { now(): Date } },
  query: HistoryQuery,
): Promise<HistoryReport> {
  const { limit: _limit, ...filter } = query;
  const runs: RunRecord[] = [];
  for await (const run of deps.journal.list(filter)) runs.push(run);
  return buildHistory(runs, query, deps.clock.now());
}
