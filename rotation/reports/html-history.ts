/** Run history as one self-contained HTML page: runs sortable and filterable, each expandable to its phases. */
import { RUN_STATUSES } from '../kinds.js';
import type { HistoryReport, HistoryRow } from './history.js';
import {
  badge,
  cellTime,
  dash,
  esc,
  page,
  shortTime,
  statusLabel,
  summaryBar,
  tableHead,
  timeCell,
  toolbar,
} from './html-page.js';

const COLUMNS = [
  { label: '', plain: true },
  { label: 'Started' },
  { label: 'Status' },
  { label: 'Secrets' },
  { label: 'Vault' },
  { label: 'Provider' },
  { label: 'Trigger' },
  { label: 'Credential' },
  { label: 'Duration', type: 'num' as const },
];

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

function arrow(from: string | undefined, to: string | undefined): string {
  if (from === undefined && to === undefined) return '<span class="muted">—</span>';
  return `<span class="mono">${esc(from ?? '∅')}</span> → <span class="mono">${esc(to ?? '∅')}</span>`;
}

function triggerText(run: HistoryRow): string {
  const t = run.trigger;
  if (t.kind === 'event') return t.eventType?.replace('Microsoft.KeyVault.', '') ?? 'event';
  if (t.kind === 'http' || t.kind === 'cli') return `${t.kind}${t.caller ? ` · ${t.caller}` : ''}`;
  return t.kind;
}

function list(items: string[], empty = 'none'): string {
  return items.length === 0
    ? `<span class="muted">${esc(empty)}</span>`
    : `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

function phasesHtml(run: HistoryRow): string {
  const start = Date.parse(run.createdAt);
  const items = run.phases
    .map((p) => {
      const offset = Date.parse(p.at) - start;
      return `<li><strong>${esc(p.phase)}</strong><span class="mono" title="${esc(p.at)}">${esc(cellTime(p.at))}</span><span class="muted small">+${esc(formatDuration(Math.max(0, offset)) || '0 ms')}</span></li>`;
    })
    .join('');
  return `<ol class="timeline">${items}</ol>`;
}

function detailsHtml(run: HistoryRow): string {
  const t = run.trigger;
  const trigger = [
    `kind: <strong>${esc(t.kind)}</strong>`,
    `version: <span class="mono">${esc(t.version)}</span>`,
    ...(t.eventType ? [`event: ${esc(t.eventType)}`] : []),
    ...(t.eventId ? [`event id: <span class="mono">${esc(t.eventId)}</span>`] : []),
    ...(t.caller ? [`caller: ${esc(t.caller)}`] : []),
    ...(t.reason ? [`reason: ${esc(t.reason)}`] : []),
  ];
  const versions = run.versions.map((v) => `${esc(v.secret)}: ${arrow(v.from, v.to)}`);
  const consumers = run.consumers.map(
    (c) =>
      `${badge(c.status === 'ok' ? 'done' : c.status === 'failed' ? 'failed' : 'skipped', c.status)} ${esc(c.name)}${c.detail ? ` <span class="muted small">${esc(c.detail)}</span>` : ''} <span class="muted small">(${c.attempts} attempt${c.attempts === 1 ? '' : 's'})</span>`,
  );
  const alerts = run.alerts.map((a) => `${esc(a.kind)} → ${esc(a.channel)}: ${esc(a.status)}`);
  const error = run.error
    ? `<h3>Error</h3><div class="error"><strong>${esc(run.error.code)}</strong> at ${esc(run.error.phase)}: ${esc(run.error.message)}</div>`
    : '';
  return `<div class="details">
<div><h3>Phases</h3>${phasesHtml(run)}${error}</div>
<div><h3>Trigger</h3>${list(trigger)}<h3>Run</h3>${list([`id: <span class="mono">${esc(run.id)}</span>`, `group: ${esc(run.group)}`, `attempt: ${run.attempt}`, ...(run.compromised ? ['<strong class="error">compromised</strong>'] : [])])}</div>
<div><h3>Versions</h3>${list(versions)}<h3>Credential id</h3>${arrow(run.credentialId.from, run.credentialId.to)}<h3>Key hint</h3>${arrow(run.keyHint.from && `…${run.keyHint.from}`, run.keyHint.to && `…${run.keyHint.to}`)}</div>
<div><h3>Consumers</h3>${list(consumers)}<h3>Revoked</h3>${list(run.revoked.map(esc))}<h3>Waiting on a human</h3>${list(run.pendingHuman.map(esc))}<h3>Alerts</h3>${list(alerts)}</div>
</div>`;
}

function searchText(run: HistoryRow): string {
  return [
    run.id,
    run.vault,
    run.group,
    run.provider,
    run.status,
    run.phase,
    ...run.secrets,
    run.trigger.kind,
    run.trigger.eventId,
    run.trigger.eventType,
    run.trigger.caller,
    run.trigger.reason,
    run.credentialId.to,
    run.error?.code,
  ]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
}

function rowHtml(run: HistoryRow): string {
  const flag = run.compromised ? '<span class="flag">compromised</span>' : '';
  const error = run.error
    ? `<span class="reason error">${esc(run.error.code)} at ${esc(run.error.phase)}</span>`
    : '';
  const secrets = run.secrets.map((s) => `<span class="name">${esc(s)}</span>`).join('<br>');
  return `<tbody class="item" data-state="${esc(run.status)}" data-vault="${esc(run.vault)}" data-search="${esc(searchText(run))}">
<tr class="main"><td><button type="button" class="toggle" aria-expanded="false" aria-label="Show phases of run ${esc(run.id)}"></button></td>
${timeCell(run.createdAt)}
<td data-v="${esc(run.status)}">${badge(run.status)}${flag}${error}</td>
<td data-v="${esc(run.secrets.join(' ').toLowerCase())}">${secrets}<span class="reason mono">${esc(run.id.slice(0, 12))}</span></td>
<td>${esc(run.vault)}</td>
<td>${esc(run.provider)}</td>
<td data-v="${esc(run.trigger.kind)}" title="${esc(run.trigger.reason ?? '')}">${esc(triggerText(run))}${run.trigger.reason ? `<span class="reason">${esc(run.trigger.reason)}</span>` : ''}</td>
<td data-v="${esc(run.credentialId.to ?? '')}">${run.credentialId.to || run.credentialId.from ? arrow(run.credentialId.from, run.credentialId.to) : dash(undefined)}</td>
<td class="num" data-v="${run.durationMs ?? ''}">${run.durationMs === undefined ? '<span class="muted">running</span>' : esc(formatDuration(run.durationMs))}</td></tr>
<tr class="detail" hidden><td colspan="${COLUMNS.length}">${detailsHtml(run)}</td></tr>
</tbody>`;
}

export function renderHistoryHtml(report: HistoryReport): string {
  const vaults = [...new Set(report.runs.map((r) => r.vault))].sort();
  const present = RUN_STATUSES.filter((s) => report.summary.byStatus[s] > 0);
  const summary = summaryBar(
    report.summary.total,
    'runs',
    present.map((s) => ({ state: s, label: statusLabel(s), count: report.summary.byStatus[s] })),
  );
  const f = report.filter;
  const filters = [
    f.since ? `since ${shortTime(f.since)}` : undefined,
    f.until ? `until ${shortTime(f.until)}` : undefined,
    f.secret ? `secret ${f.secret}` : undefined,
    f.status ? `status ${f.status}` : undefined,
    f.vault ? `vault ${f.vault}` : undefined,
    f.group ? `group ${f.group}` : undefined,
  ].filter((x): x is string => x !== undefined);
  const truncated = report.truncated
    ? `<section class="problems" role="status"><h2>Only the newest ${f.limit} runs are shown</h2>Narrow the filter (since, until, secret, status) or raise <span class="mono">limit</span>.</section>`
    : '';
  const body = `${summary}
${truncated}
${toolbar({ placeholder: 'Filter by secret, run id, provider, trigger, error…  (press /)', stateLabel: 'Status', states: RUN_STATUSES, vaults, total: report.runs.length, noun: 'runs', expandAll: true })}
<div class="tablewrap"><table id="report" class="grid">
${tableHead(COLUMNS)}
${report.runs.map(rowHtml).join('\n')}
<tfoot id="empty" hidden><tr><td colspan="${COLUMNS.length}">No run matches the filter.</td></tr></tfoot>
</table></div>`;
  return page({
    title: 'Rotation history',
    meta: [
      `Generated ${shortTime(report.generatedAt)}`,
      filters.length > 0 ? `Filter: ${filters.join(', ')}` : 'All runs',
      'Times in UTC',
    ],
    body,
  });
}
