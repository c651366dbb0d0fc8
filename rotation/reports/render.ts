/** One report in one of the three formats, as HTTP and the CLI serve it (body, content type, file name). */
import { RotationError } from '../errors.js';
import { historyCsv, inventoryCsv } from './csv.js';
import type { HistoryReport } from './history.js';
import { renderHistoryHtml } from './html-history.js';
import { renderInventoryHtml } from './html-inventory.js';
import { REPORT_HTML_HEADERS } from './html-page.js';
import type { InventoryReport } from './inventory.js';

export const REPORT_FORMATS = ['json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function parseReportFormat(value: string | null | undefined): ReportFormat {
  if (value === null || value === undefined || value.trim() === '') return 'json';
  const format = value.trim().toLowerCase();
  if ((REPORT_FORMATS as readonly string[]).includes(format)) return format as ReportFormat;
  throw new RotationError('BadRequest', `Unknown report format '${value.slice(0, 20)}'.`, {
    details: [{ path: 'format', message: `must be one of ${REPORT_FORMATS.join(', ')}` }],
  });
}

export interface RenderedReport {
  body: string;
  headers: Record<string, string>;
  /** Suggested file name, e.g. `inventory-20260301T0200Z.csv`. */
  filename: string;
}

function stamp(iso: string): string {
  return iso.slice(0, 16).replaceAll('-', '').replace(':', '');
}

export function renderReport(report: InventoryReport | HistoryReport, format: ReportFormat): RenderedReport {
  const filename = `${report.kind}-${stamp(report.generatedAt)}Z.${format}`;
  switch (format) {
    case 'json':
      return {
        body: `${JSON.stringify(report, null, 2)}\n`,
        headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
        filename,
      };
    case 'csv':
      return {
        body: report.kind === 'inventory' ? inventoryCsv(report) : historyCsv(report),
        headers: {
          'Content-Type': 'text/csv; charset=utf-8; header=present',
          'Content-Disposition': `attachment; filename="${filename}"`,
          'X-Content-Type-Options': 'nosniff',
          'Cache-Control': 'no-store',
        },
        filename,
      };
    case 'html':
      return {
        body: report.kind === 'inventory' ? renderInventoryHtml(report) : renderHistoryHtml(report),
        headers: { ...REPORT_HTML_HEADERS },
        filename,
      };
  }
}
