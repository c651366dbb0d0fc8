/**
 * CSV that opens cleanly in a spreadsheet: RFC 4180 quoting, CRLF line ends, a UTF-8 byte order mark
 * (Excel reads the file as UTF-8 only with it), ISO 8601 dates, and no formula injection: a text cell
 * starting with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'` (OWASP's advice), so a
 * secret name or reason like `=HYPERLINK(…)` shows as text. Numbers are written as numbers (a negative
 * `days left` stays sortable).
 */
import type { HistoryReport, HistoryRow } from './history.js';
import type { InventoryReport, InventoryRow } from './inventory.js';

export type CsvValue = string | number | boolean | Date | undefined | null;

export interface CsvColumn<T> {
  header: string;
  value: (row: T) => CsvValue;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
export const CSV_BOM = '\uFEFF';

/** One cell: formula guard for text, then RFC 4180 quoting. */
export function csvCell(value: CsvValue): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let text = value instanceof Date ? value.toISOString() : value;
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv<T>(
  columns: readonly CsvColumn<T>[],
  rows: readonly T[],
  options: { bom?: boolean } = {},
): string {
  const lines = [columns.map((c) => csvCell(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(c.value(row))).join(','));
  return `${options.bom === false ? '' : CSV_BOM}${lines.join('\r\n')}\r\n`;
}

export const INVENTORY_COLUMNS: CsvColumn<InventoryRow>[] = [
  { header: 'vault', value: (r) => r.vault },
  { header: 'secret', value: (r) => r.name },
  { header: 'state', value: (r) => r.state },
  { header: 'state_reason', value: (r) => r.stateReason },
  { header: 'managed', value: (r) => r.managed },
  { header: 'source', value: (r) => r.source },
  { header: 'provider', value: (r) => r.provider },
  { header: 'mode', value: (r) => r.mode },
  { header: 'credential_group', value: (r) => r.group },
  { header: 'current_version', value: (r) => r.currentVersion },
  { header: 'credential_id', value: (r) => r.credentialId },
  { header: 'enabled', value: (r) => r.enabled },
  { header: 'content_type', value: (r) => r.contentType },
  { header: 'created', value: (r) => r.created },
  { header: 'updated', value: (r) => r.updated },
  { header: 'expires', value: (r) => r.expires },
  { header: 'days_left', value: (r) => r.daysLeft },
  { header: 'last_run_id', value: (r) => r.lastRun?.id },
  { header: 'last_run_status', value: (r) => r.lastRun?.status },
  { header: 'last_run_phase', value: (r) => r.lastRun?.phase },
  { header: 'last_run_at', value: (r) => r.lastRun?.at },
  { header: 'last_run_error', value: (r) => r.lastRun?.errorCode },
  { header: 'owners', value: (r) => r.owners.join('; ') },
];

const arrow = (from: string | undefined, to: string | undefined) =>
  from === undefined && to === undefined ? undefined : `${from ?? ''} → ${to ?? ''}`;

export const HISTORY_COLUMNS: CsvColumn<HistoryRow>[] = [
  { header: 'run_id', value: (r) => r.id },
  { header: 'created', value: (r) => r.createdAt },
  { header: 'finished', value: (r) => r.finishedAt },
  {
    header: 'duration_seconds',
    value: (r) => (r.durationMs === undefined ? undefined : r.durationMs / 1000),
  },
  { header: 'vault', value: (r) => r.vault },
  { header: 'credential_group', value: (r) => r.group },
  { header: 'provider', value: (r) => r.provider },
  { header: 'secrets', value: (r) => r.secrets.join('; ') },
  { header: 'status', value: (r) => r.status },
  { header: 'phase', value: (r) => r.phase },
  { header: 'attempt', value: (r) => r.attempt },
  { header: 'compromised', value: (r) => r.compromised },
  { header: 'trigger', value: (r) => r.trigger.kind },
  { header: 'trigger_event_id', value: (r) => r.trigger.eventId },
  { header: 'trigger_event_type', value: (r) => r.trigger.eventType },
  { header: 'trigger_version', value: (r) => r.trigger.version },
  { header: 'trigger_caller', value: (r) => r.trigger.caller },
  { header: 'trigger_reason', value: (r) => r.trigger.reason },
  { header: 'phases', value: (r) => r.phases.map((p) => `${p.phase} ${p.at}`).join('; ') },
  {
    header: 'versions',
    value: (r) => r.versions.map((v) => `${v.secret}: ${arrow(v.from, v.to) ?? ''}`).join('; '),
  },
  { header: 'credential_id', value: (r) => arrow(r.credentialId.from, r.credentialId.to) },
  { header: 'key_hint', value: (r) => arrow(r.keyHint.from, r.keyHint.to) },
  {
    header: 'consumers',
    value: (r) =>
      r.consumers.map((c) => `${c.name}: ${c.status}${c.detail ? ` (${c.detail})` : ''}`).join('; '),
  },
  { header: 'revoked', value: (r) => r.revoked.join('; ') },
  { header: 'pending_human', value: (r) => r.pendingHuman.join('; ') },
  { header: 'error_code', value: (r) => r.error?.code },
  { header: 'error_phase', value: (r) => r.error?.phase },
  { header: 'error_message', value: (r) => r.error?.message },
];

export function inventoryCsv(report: InventoryReport, options?: { bom?: boolean }): string {
  return toCsv(INVENTORY_COLUMNS, report.rows, options);
}

export function historyCsv(report: HistoryReport, options?: { bom?: boolean }): string {
  return toCsv(HISTORY_COLUMNS, report.runs, options);
}
