/** `rotator report inventory|history`: the ops reports as a terminal table, JSON, CSV or HTML. */
import path from 'node:path';
import {
  collectHistory,
  collectInventory,
  filterInventory,
  HISTORY_COLUMNS,
  type HistoryReport,
  type HistoryRow,
  INVENTORY_COLUMNS,
  INVENTORY_STATES,
  type InventoryReport,
  type InventoryRow,
  parseHistoryQuery,
  parseInventoryState,
  renderReport,
  STATE_LABELS,
  toCsv,
} from '../../rotation/reports/index.js';
import { type Command, type CommandContext, stringOption } from '../command.js';
import { EXIT, type ExitCode, UsageError } from '../exit.js';
import { type Column, createStyle, paint, renderTable, type Style } from '../format.js';

const FORMATS = ['table', 'json', 'csv', 'html'] as const;
type Format = (typeof FORMATS)[number];

const HELP = `Usage: rotator report inventory [--state S] [--vault V] [--format F] [--out FILE]
       rotator report history [--since D] [--until D] [--secret S] [--status S] [--vault V]
                              [--group G] [--limit N] [--format F] [--out FILE]

inventory: every secret in every configured vault, managed or not, with one state each
  (failing, expired, manual-action-required, overdue, due, no-expiry, unmanaged, ok).
  Built from Key Vault's property listings: no secret value is read.
history: rotation runs, newest first, with trigger, phases, versions, credential ids and outcome.

Options:
  --format F     table (default; fits the terminal, coloured by state), json, csv or html
  --out FILE     write to FILE instead of stdout (CSV files get a byte order mark for Excel)
  --state S      inventory: only rows in this state
  --vault V      only this vault
  --since D      history: runs created at or after D (ISO 8601 date or date-time)
  --until D      history: runs created at or before D (a date alone means the end of that day)
  --secret S     history: runs that touched this secret
  --status S     history: runs with this status (queued, running, done, revoked, skipped, failed,
                 manual-action-required, propagated-with-errors)
  --group G      history: runs of this credential group
  --limit N      history: at most N runs (default 1000)

Examples:
  rotator report inventory
  rotator report inventory --format html --out inventory.html
  rotator report history --since 2026-03-01 --status failed --format csv --out failed.csv
`;

function format(ctx: CommandContext): Format {
  const value = stringOption(ctx.values, 'format') ?? 'table';
  if (!(FORMATS as readonly string[]).includes(value)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')} (got ${value})`);
  }
  return value as Format;
}

/** Run statuses as a terminal column shows them (the long two shortened). */
function runLabel(status: string): string {
  if (status === 'manual-action-required') return 'manual-action';
  if (status === 'propagated-with-errors') return 'prop-errors';
  return status;
}

function inventoryTable(report: InventoryReport, style: Style, width: number): string {
  const columns: Column<InventoryRow>[] = [
    { header: 'STATE', text: (r) => STATE_LABELS[r.state], colour: (t, r) => paint(style, r.state, t) },
    { header: 'VAULT', text: (r) => r.vault, flex: true, min: 6 },
    { header: 'SECRET', text: (r) => r.name, flex: true, min: 12 },
    { header: 'PROVIDER', text: (r) => r.provider ?? '-', flex: true, min: 8 },
    { header: 'EXPIRES', text: (r) => r.expires?.slice(0, 10) ?? '-' },
    { header: 'DAYS', text: (r) => (r.daysLeft === undefined ? '-' : String(r.daysLeft)), align: 'right' },
    {
      header: 'LAST RUN',
      text: (r) =>
        r.lastRun
          ? `${runLabel(r.lastRun.status)} ${r.lastRun.at.slice(5, 16).replace('T', ' ')} ${r.lastRun.id.slice(0, 8)}`
          : '-',
      colour: (t, r) => {
        const label = r.lastRun ? runLabel(r.lastRun.status) : undefined;
        return r.lastRun && label && t.startsWith(label)
          ? paint(style, r.lastRun.status, label) + t.slice(label.length)
          : t;
      },
      flex: true,
      min: 10,
    },
  ];
  const by = report.summary.byState;
  const counts = INVENTORY_STATES.filter((s) => by[s] > 0).map((s) => `${by[s]} ${paint(style, s)}`);
  const head = [
    `${report.summary.total} secrets${counts.length > 0 ? `: ${counts.join(', ')}` : ''}`,
    report.lastSweepAt
      ? `Last sweep: ${report.lastSweepAt.slice(0, 16).replace('T', ' ')} UTC`
      : 'Last sweep: none recorded',
  ];
  const problems = report.problems.map(
    (p) => `${style.yellow('!')} ${p.vault}${p.secret ? `/${p.secret}` : ''}: ${p.code}: ${p.message}`,
  );
  const table = report.rows.length > 0 ? renderTable(columns, report.rows, width, style) : 'No secrets.\n';
  return `${head.join('\n')}\n\n${table}${problems.length > 0 ? `\n${problems.join('\n')}\n` : ''}`;
}

function duration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function historyTable(report: HistoryReport, style: Style, width: number): string {
  const columns: Column<HistoryRow>[] = [
    { header: 'STARTED', text: (r) => r.createdAt.slice(0, 16).replace('T', ' ') },
    { header: 'STATUS', text: (r) => runLabel(r.status), colour: (t, r) => paint(style, r.status, t) },
    { header: 'SECRETS', text: (r) => r.secrets.join(','), flex: true, min: 12 },
    { header: 'VAULT', text: (r) => r.vault, flex: true, min: 6 },
    {
      header: 'TRIGGER',
      text: (r) =>
        [
          r.trigger.kind,
          r.trigger.eventType?.replace('Microsoft.KeyVault.', ''),
          r.trigger.caller,
          r.trigger.reason,
        ]
          .filter(Boolean)
          .join(' '),
      flex: true,
      min: 8,
    },
    {
      header: 'OUTCOME',
      text: (r) => {
        if (r.error) return `${r.error.code} at ${r.error.phase}`;
        if (r.credentialId.to) return `${r.credentialId.from ?? '?'} → ${r.credentialId.to}`;
        if (r.pendingHuman.length > 0) return 'waiting for a human';
        return r.credentialId.from ? `${r.credentialId.from} (unchanged)` : '-';
      },
      colour: (t, r) => (r.error ? style.red(t) : t),
      flex: true,
      min: 8,
    },
    { header: 'TOOK', text: (r) => duration(r.durationMs), align: 'right' },
    { header: 'RUN', text: (r) => r.id.slice(0, 8) },
  ];
  const by = report.summary.byStatus;
  const counts = Object.entries(by)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${paint(style, s)}`);
  const head = `${report.summary.total} runs${counts.length > 0 ? `: ${counts.join(', ')}` : ''}${report.truncated ? ` (only the newest ${report.filter.limit})` : ''}`;
  const table = report.runs.length > 0 ? renderTable(columns, report.runs, width, style) : 'No runs.\n';
  return `${head}\n\n${table}`;
}

async function build(
  ctx: CommandContext,
  kind: 'inventory' | 'history',
): Promise<InventoryReport | HistoryReport> {
  const app = await ctx.app();
  const vault = stringOption(ctx.values, 'vault')?.toLowerCase();
  if (kind === 'inventory') {
    const state = parseInventoryState(stringOption(ctx.values, 'state'));
    if (vault && !app.config.vaults.some((v) => v.name === vault))
      throw new UsageError(`vault ${vault} is not configured`);
    const scan = await collectInventory(
      { ...app.engine, heartbeat: app.heartbeat },
      app.config,
      vault ? { vaults: [vault] } : {},
    );
    return filterInventory(scan.report, state);
  }
  const params: Record<string, string | undefined> = {};
  for (const key of ['since', 'until', 'secret', 'status', 'vault', 'group', 'limit'])
    params[key] = stringOption(ctx.values, key);
  return collectHistory(app.engine, parseHistoryQuery(params));
}

const HISTORY_ONLY = ['since', 'until', 'secret', 'status', 'group', 'limit'];

function checkOptions(ctx: CommandContext, kind: 'inventory' | 'history'): void {
  const other = kind === 'inventory' ? HISTORY_ONLY : ['state'];
  const wrong = other.filter((o) => ctx.values[o] !== undefined);
  if (wrong.length > 0) throw new UsageError(`--${wrong[0]} does not apply to the ${kind} report`);
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'inventory or history report as a table, JSON, CSV or HTML',
  help: HELP,
  options: {
    format: { type: 'string', short: 'f' },
    out: { type: 'string', short: 'o' },
    state: { type: 'string' },
    vault: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    secret: { type: 'string' },
    status: { type: 'string' },
    group: { type: 'string' },
    limit: { type: 'string' },
  },
  async run(ctx): Promise<ExitCode> {
    const [kind, ...extra] = ctx.positionals;
    if (kind !== 'inventory' && kind !== 'history') {
      throw new UsageError(
        kind === undefined
          ? 'which report? inventory or history'
          : `unknown report '${kind}': inventory or history`,
      );
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    checkOptions(ctx, kind);
    const fmt = format(ctx);
    const out = stringOption(ctx.values, 'out');
    const report = await build(ctx, kind);
    let text: string;
    if (fmt === 'table') {
      // A table written to a file has no colours and is not cut to the terminal.
      const style = out ? createStyle(false) : ctx.style;
      const width = out ? 200 : ctx.width;
      text =
        report.kind === 'inventory'
          ? inventoryTable(report, style, width)
          : historyTable(report, style, width);
    } else if (fmt === 'csv') {
      const bom = out !== undefined;
      text =
        report.kind === 'inventory'
          ? toCsv(INVENTORY_COLUMNS, report.rows, { bom })
          : toCsv(HISTORY_COLUMNS, report.runs, { bom });
    } else {
      text = renderReport(report, fmt).body;
    }
    if (out) {
      const file = path.resolve(ctx.io.cwd, out);
      await ctx.io.writeFile(file, text);
      const size =
        report.kind === 'inventory' ? `${report.rows.length} secrets` : `${report.runs.length} runs`;
      ctx.io.stderr.write(`Wrote the ${report.kind} report (${size}, ${fmt}) to ${file}\n`);
    } else {
      ctx.io.stdout.write(text);
    }
    return EXIT.ok;
  },
};
