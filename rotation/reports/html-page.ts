/**
 * The shell shared by the HTML reports: one self-contained page (inline CSS and JS, no external asset,
 * no favicon request) whose Content Security Policy allows exactly its own style and script blocks by
 * hash. Every value from Key Vault or the journal goes through `esc`.
 */
import { createHash } from 'node:crypto';
import { REPORT_CSS, REPORT_JS } from './html-assets.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** HTML-escapes text for element content and quoted attribute values. */
export function esc(value: unknown): string {
  if (value === undefined || value === null) return '';
  return String(value).replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The policy of every report page: nothing but its own inline style and script. */
export const REPORT_CSP = [
  "default-src 'none'",
  `style-src ${sha256(REPORT_CSS)}`,
  `script-src ${sha256(REPORT_JS)}`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** HTTP headers for a report page (the header form of the policy can also forbid framing). */
export const REPORT_HTML_HEADERS: Record<string, string> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': `${REPORT_CSP}; frame-ancestors 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** `2026-03-01 14:05 UTC`, with the full ISO time kept for sorting and tooltips by the callers. */
export function shortTime(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `2026-03-01 14:05` for table cells (the page header says times are UTC). */
export function cellTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().slice(0, 16).replace('T', ' ');
}

/** A date cell: short text, ISO value for sorting, full time as tooltip. */
export function timeCell(iso: string | undefined, options: { dateOnly?: boolean } = {}): string {
  if (!iso) return '<td data-v=""><span class="muted">—</span></td>';
  const text = options.dateOnly ? iso.slice(0, 10) : cellTime(iso);
  return `<td data-v="${esc(iso)}" class="nw" title="${esc(shortTime(iso))}">${esc(text)}</td>`;
}

/** Shorter labels for the two long run statuses (the badge's tooltip keeps the exact status). */
const SHORT_LABELS: Record<string, string> = {
  'manual-action-required': 'manual action',
  'propagated-with-errors': 'propagation errors',
};

export function statusLabel(status: string): string {
  return SHORT_LABELS[status] ?? status;
}

export function badge(status: string, label: string = statusLabel(status)): string {
  return `<span class="badge s-${esc(status)}" title="${esc(status)}">${esc(label)}</span>`;
}

export function dash(value: string | undefined, className = ''): string {
  return value === undefined || value === ''
    ? '<span class="muted">—</span>'
    : `<span class="${className}">${esc(value)}</span>`;
}

function capitalize(label: string): string {
  return label === 'ok' ? 'OK' : label.charAt(0).toUpperCase() + label.slice(1);
}

export interface SummaryItem {
  state: string;
  label: string;
  count: number;
}

/** The summary bar: one clickable chip per state (clicking filters the table by it). */
export function summaryBar(total: number, totalLabel: string, items: readonly SummaryItem[]): string {
  const chips = items
    .map(
      (i: SummaryItem) =>
        `<button type="button" class="chip s-${esc(i.state)}${i.count === 0 ? ' zero' : ''}" data-state="${esc(i.state)}" aria-pressed="false"><span class="n">${i.count}</span><span class="l">${esc(capitalize(i.label))}</span></button>`,
    )
    .join('');
  return `<section class="summary" aria-label="Summary"><div class="chip s-all" role="status"><span class="n">${total}</span><span class="l">${esc(capitalize(totalLabel))}</span></div>${chips}</section>`;
}

export interface ToolbarOptions {
  placeholder: string;
  stateLabel: string;
  states: readonly string[];
  vaults: readonly string[];
  total: number;
  noun: string;
  expandAll?: boolean;
}

export function toolbar(o: ToolbarOptions): string {
  const options = (values: readonly string[], all: string) =>
    `<option value="">${esc(all)}</option>${values.map((v) => `<option value="${esc(v)}">${esc(v)}</option>`).join('')}`;
  const vaultSelect =
    o.vaults.length > 1
      ? `<select id="vault" aria-label="Vault">${options(o.vaults, 'All vaults')}</select>`
      : '';
  return `<div class="toolbar" role="search">
<input id="q" type="search" placeholder="${esc(o.placeholder)}" aria-label="Filter" autocomplete="off">
<select id="state" aria-label="${esc(o.stateLabel)}">${options(o.states, `Any ${o.stateLabel.toLowerCase()}`)}</select>
${vaultSelect}<button type="button" id="clear">Clear</button>${o.expandAll ? '<button type="button" id="expand-all" aria-pressed="false">Expand all</button>' : ''}
<span class="count"><span id="shown">${o.total}</span> of ${o.total} ${esc(o.noun)}</span>
</div>`;
}

export interface SortableColumn {
  label: string;
  /** `num` sorts numerically; `text` (default) by text, ISO dates sort as text. */
  type?: 'num' | 'text';
  /** Not sortable (e.g. the expand toggle). */
  plain?: boolean;
}

export function tableHead(columns: readonly SortableColumn[]): string {
  const cells = columns
    .map((c) =>
      c.plain
        ? `<th class="plain" scope="col">${esc(c.label)}</th>`
        : `<th scope="col" aria-sort="none" data-type="${c.type ?? 'text'}"><button type="button">${esc(c.label)}</button></th>`,
    )
    .join('');
  return `<thead><tr>${cells}</tr></thead>`;
}

export interface PageInput {
  title: string;
  meta: string[];
  body: string;
}

export function page(input: PageInput): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(REPORT_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${esc(input.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header class="top"><h1>${esc(input.title)}</h1><div class="meta">${input.meta.map((m) => `<span>${esc(m)}</span>`).join('')}</div></header>
<main>
${input.body}
<footer>Key Vault Rotator · values are never shown; key hints are the last 4 characters, as provider dashboards show them.</footer>
</main>
<script>${REPORT_JS}</script>
</body>
</html>
`;
}
