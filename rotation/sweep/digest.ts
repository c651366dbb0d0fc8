/**
 * The daily digest: counts per state, what is failing or expired, what waits for a human, what falls due
 * in the next 30 days, and what the sweep did — sent as one `digest` alert to the channels that ask for
 * it (`digest: true`, or `digest` in `events`). Plain text built from names, dates and codes only.
 */
import type { ResolvedConfig } from '../config/index.js';
import { describeError } from '../errors.js';
import type { Alert, AlertDelivery, Notifier } from '../ports.js';
import { INVENTORY_STATES, type InventoryReport, type InventoryRow, STATE_LABELS } from '../reports/index.js';
import type { StepResult } from './types.js';

/** Rows listed per section; the rest are counted. */
export const DIGEST_ROWS_PER_SECTION = 25;

export function digestChannels(config: Pick<ResolvedConfig, 'channels'>): string[] {
  return Object.entries(config.channels)
    .filter(([, channel]) => channel.digest === true || channel.events.includes('digest'))
    .map(([name]) => name)
    .sort();
}

function line(row: InventoryRow): string {
  const expiry = row.expires ? ` expires ${row.expires.slice(0, 10)} (${row.daysLeft} d)` : '';
  const run = row.lastRun ? ` · run ${row.lastRun.id.slice(0, 8)} ${row.lastRun.status}` : '';
  return `- ${row.vault}/${row.name}${expiry}: ${row.stateReason}${run}`;
}

function section(title: string, rows: InventoryRow[]): string[] {
  if (rows.length === 0) return [];
  const shown = rows.slice(0, DIGEST_ROWS_PER_SECTION).map(line);
  const more = rows.length - shown.length;
  return ['', `${title} (${rows.length}):`, ...shown, ...(more > 0 ? [`- …and ${more} more`] : [])];
}

export function buildDigest(
  report: InventoryReport | undefined,
  steps: readonly StepResult[],
  now: Date,
): Omit<Alert, 'channels'> {
  const day = now.toISOString().slice(0, 10);
  const sweepLines = steps.flatMap((s) => s.notes ?? []);
  const problems = steps.flatMap((s) =>
    s.problems.map((p) => `- ${s.name}${p.target ? ` ${p.target}` : ''}: ${p.code}: ${p.message}`),
  );
  const tail = [
    '',
    `Sweep: ${sweepLines.length > 0 ? sweepLines.join('; ') : 'nothing to do'}.`,
    ...(problems.length > 0
      ? [`Sweep problems (${problems.length}):`, ...problems.slice(0, DIGEST_ROWS_PER_SECTION)]
      : []),
  ];
  if (!report) {
    return {
      kind: 'digest',
      severity: 'critical',
      title: `Rotation digest ${day}: the sweep could not read the inventory`,
      text: ['The daily sweep could not list the vaults or read the journal.', ...tail].join('\n'),
    };
  }
  const by = report.summary.byState;
  const counts = INVENTORY_STATES.filter((s) => by[s] > 0).map((s) => `${STATE_LABELS[s]} ${by[s]}`);
  const rows = report.rows;
  const of = (...states: string[]) => rows.filter((r) => states.includes(r.state));
  const dueSoon = rows
    .filter((r) => r.managed && r.daysLeft !== undefined && r.daysLeft >= 0 && r.daysLeft <= 30)
    .sort((a, b) => (a.daysLeft ?? 0) - (b.daysLeft ?? 0));
  const vaultProblems = report.problems.map(
    (p) => `- ${p.vault}${p.secret ? `/${p.secret}` : ''}: ${p.code}: ${p.message}`,
  );
  const text = [
    `Secrets: ${report.summary.total} (${counts.join(', ') || 'none'}).`,
    ...section('Failing', of('failing')),
    ...section('Expired', of('expired')),
    ...section('Waiting for a human', of('manual-action-required')),
    ...section('Falling due in the next 30 days', dueSoon),
    ...(vaultProblems.length > 0 ? ['', `Problems (${vaultProblems.length}):`, ...vaultProblems] : []),
    ...tail,
  ].join('\n');
  const bad = by.failing + by.expired;
  const attention = by.overdue + by['manual-action-required'] + report.problems.length + problems.length;
  const severity: Alert['severity'] = bad > 0 ? 'critical' : attention > 0 ? 'warning' : 'info';
  const headline = [
    by.failing ? `${by.failing} failing` : '',
    by.expired ? `${by.expired} expired` : '',
    by['manual-action-required'] ? `${by['manual-action-required']} manual` : '',
    dueSoon.length ? `${dueSoon.length} due within 30 days` : '',
  ].filter(Boolean);
  return {
    kind: 'digest',
    severity,
    title: `Rotation digest ${day}: ${headline.length > 0 ? headline.join(', ') : 'all fine'}`,
    text,
  };
}

/** Sends the digest; never throws (a notifier failure becomes a failed delivery). */
export async function sendDigest(
  notifier: Notifier,
  alert: Alert,
  at: Date,
): Promise<{ deliveries: AlertDelivery[]; error?: { code: string; message: string } }> {
  try {
    return { deliveries: await notifier.send(alert) };
  } catch (error) {
    const { code, message } = describeError(error);
    return {
      deliveries: alert.channels.map((channel) => ({
        channel,
        status: 'failed',
        attempts: 1,
        at: at.toISOString(),
        error: message,
      })),
      error: { code, message },
    };
  }
}
