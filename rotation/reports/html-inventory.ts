/** The inventory as one self-contained HTML page: summary bar per state, sortable and filterable table. */

import {
  badge,
  cellTime,
  dash,
  esc,
  page,
  shortTime,
  summaryBar,
  tableHead,
  timeCell,
  toolbar,
} from './html-page.js';
import type { InventoryReport, InventoryRow } from './inventory.js';
import { INVENTORY_STATES } from './states.js';

const COLUMNS = [
  { label: 'State' },
  { label: 'Secret' },
  { label: 'Vault' },
  { label: 'Provider' },
  { label: 'Group' },
  { label: 'Credential' },
  { label: 'Created' },
  { label: 'Expires' },
  { label: 'Days left', type: 'num' as const },
  { label: 'Last run' },
];

export const STATE_LABELS: Record<(typeof INVENTORY_STATES)[number], string> = {
  failing: 'failing',
  expired: 'expired',
  'manual-action-required': 'manual action',
  overdue: 'overdue',
  due: 'due',
  'no-expiry': 'no expiry',
  unmanaged: 'unmanaged',
  ok: 'ok',
};

function daysCell(row: InventoryRow): string {
  if (row.daysLeft === undefined) return '<td class="num" data-v=""><span class="muted">—</span></td>';
  const cls = row.daysLeft < 0 ? ' neg' : row.daysLeft <= 30 ? ' soon' : '';
  return `<td class="num${cls}" data-v="${row.daysLeft}">${row.daysLeft}</td>`;
}

function lastRunCell(row: InventoryRow): string {
  const run = row.lastRun;
  if (!run) return '<td data-v=""><span class="muted">never</span></td>';
  const error = run.errorCode ? ` · <span class="error">${esc(run.errorCode)}</span>` : '';
  return `<td class="run" data-v="${esc(run.at)}" title="run ${esc(run.id)} · phase ${esc(run.phase)} · ${esc(run.at)}">${badge(run.status)}<span class="reason"><span class="mono">${esc(run.id.slice(0, 8))}</span> · <span class="nw">${esc(cellTime(run.at))}</span>${error}</span></td>`;
}

function searchText(row: InventoryRow): string {
  return [
    row.name,
    row.vault,
    row.state,
    row.provider,
    row.mode,
    row.group,
    row.credentialId,
    row.currentVersion,
    row.lastRun?.id,
    row.lastRun?.status,
    row.stateReason,
    ...row.owners,
  ]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
}

function rowHtml(row: InventoryRow, showVault: boolean): string {
  const stateIndex = INVENTORY_STATES.indexOf(row.state);
  const disabled = row.enabled
    ? ''
    : '<span class="flag" title="the current version is disabled">disabled</span>';
  const version = row.currentVersion
    ? `<span class="reason mono" title="current version ${esc(row.currentVersion)}">${esc(row.currentVersion.slice(0, 12))}</span>`
    : '';
  const modeClass = row.mode === 'not-implemented' ? 'reason error' : 'reason';
  const provider = row.provider
    ? `${esc(row.provider)}${row.mode && row.mode !== 'automatic' ? `<span class="${modeClass}">${esc(row.mode)}</span>` : ''}`
    : '<span class="muted">—</span>';
  const source =
    row.source === 'tags'
      ? ' <span class="tag" title="managed through Microsoft-style rotation tags">tags</span>'
      : '';
  return `<tbody class="item" data-state="${esc(row.state)}" data-vault="${esc(row.vault)}" data-search="${esc(searchText(row))}">
<tr class="main"><td class="state" data-v="${stateIndex}">${badge(row.state, STATE_LABELS[row.state])}<span class="reason">${esc(row.stateReason)}</span></td>
<td data-v="${esc(row.name.toLowerCase())}"><span class="name">${esc(row.name)}</span>${disabled}${source}${version}</td>
${showVault ? `<td class="nw">${esc(row.vault)}</td>\n` : ''}<td class="nw" data-v="${esc(row.provider ?? '')}">${provider}</td>
<td class="grp" data-v="${esc(row.group ?? '')}">${dash(row.group, 'mono')}</td>
<td class="cred" data-v="${esc(row.credentialId ?? '')}">${dash(row.credentialId, 'mono')}</td>
${timeCell(row.created, { dateOnly: true })}
${timeCell(row.expires, { dateOnly: true })}
${daysCell(row)}
${lastRunCell(row)}</tr>
</tbody>`;
}

function problemsHtml(report: InventoryReport): string {
  if (report.problems.length === 0) return '';
  const items = report.problems
    .map(
      (p) =>
        `<li><strong>${esc(p.vault)}${p.secret ? `/${esc(p.secret)}` : ''}</strong> — ${esc(p.code)}: ${esc(p.message)}</li>`,
    )
    .join('');
  return `<section class="problems" role="alert"><h2>${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} while building this report</h2><ul>${items}</ul></section>`;
}

export function renderInventoryHtml(report: InventoryReport): string {
  const vaults = [...new Set(report.rows.map((r) => r.vault))].sort();
  // One vault: its name is in the header, the column would only take width.
  const showVault = vaults.length > 1;
  const columns = COLUMNS.filter((c) => showVault || c.label !== 'Vault');
  const summary = summaryBar(
    report.summary.total,
    'secrets',
    INVENTORY_STATES.map((state) => ({
      state,
      label: STATE_LABELS[state],
      count: report.summary.byState[state],
    })),
  );
  const body = `${summary}
${problemsHtml(report)}
${toolbar({ placeholder: 'Filter by name, vault, provider, group, run…  (press /)', stateLabel: 'State', states: INVENTORY_STATES, vaults, total: report.rows.length, noun: 'secrets' })}
<div class="tablewrap"><table id="report" class="grid">
${tableHead(columns)}
${report.rows.map((row) => rowHtml(row, showVault)).join('\n')}
<tfoot id="empty" hidden><tr><td colspan="${columns.length}">No secret matches the filter.</td></tr></tfoot>
</table></div>`;
  return page({
    title: 'Secret inventory',
    meta: [
      `Generated ${shortTime(report.generatedAt)}`,
      report.lastSweepAt ? `Last sweep ${shortTime(report.lastSweepAt)}` : 'No sweep recorded yet',
      showVault ? `${vaults.length} vaults` : `Vault ${vaults[0] ?? '—'}`,
      'Times in UTC',
    ],
    body,
  });
}
