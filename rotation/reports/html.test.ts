import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RotationError } from '../errors.js';
import { buildHistory, parseHistoryQuery } from './history.js';
import { REPORT_CSS, REPORT_JS } from './html-assets.js';
import { esc, REPORT_CSP } from './html-page.js';
import { buildInventory } from './inventory.js';
import { parseReportFormat, renderReport } from './render.js';
import { SAMPLE_NOW, sampleInventoryInput, sampleRun } from './testing.js';

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('HTML reports', () => {
  const inventory = renderReport(buildInventory(sampleInventoryInput()), 'html');

  it('is one self-contained page: no external URL, script or stylesheet', () => {
    const html = inventory.body;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+stylesheet/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html.match(/<style>/g)).toHaveLength(1);
  });

  it('allows exactly its own style and script by hash (meta tag and header)', () => {
    expect(REPORT_CSP).toContain(`style-src ${hash(REPORT_CSS)}`);
    expect(REPORT_CSP).toContain(`script-src ${hash(REPORT_JS)}`);
    expect(REPORT_CSP).toContain("default-src 'none'");
    expect(inventory.body).toContain(`<style>${REPORT_CSS}</style>`);
    expect(inventory.body).toContain(`<script>${REPORT_JS}</script>`);
    expect(inventory.headers['Content-Security-Policy']).toContain("frame-ancestors 'none'");
    expect(inventory.headers['Content-Type']).toBe('text/html; charset=utf-8');
  });

  it('has a summary chip per state, a sortable table and one row per secret', () => {
    const html = inventory.body;
    for (const state of [
      'failing',
      'expired',
      'manual-action-required',
      'overdue',
      'due',
      'no-expiry',
      'unmanaged',
      'ok',
    ]) {
      expect(html).toContain(`data-state="${state}" aria-pressed="false"`);
    }
    expect(html.match(/<tbody class="item"/g)).toHaveLength(15);
    expect(html).toContain('aria-sort="none"');
  });

  it('escapes everything that comes from Key Vault or the journal', () => {
    const run = sampleRun({
      id: '1'.repeat(32),
      vault: 'kv-prod',
      group: 'g',
      provider: 'jwt-secret',
      secrets: ['s'],
      status: 'failed',
      created: -1,
      trigger: {
        kind: 'http',
        caller: '"><img src=x onerror=alert(1)>',
        reason: '</script><script>alert(2)</script>',
      },
      error: { code: 'InternalError', message: '<b>boom</b>', phase: 'issued' },
    });
    const html = renderReport(buildHistory([run], parseHistoryQuery({}), SAMPLE_NOW), 'html').body;
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('</script><script>alert(2)');
    expect(html).not.toContain('<b>boom</b>');
    expect(html).toContain('&lt;b&gt;boom&lt;/b&gt;');
    expect(esc(`<a href="x" onclick='y'>\``)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&#96;');
  });

  it('history runs expand to their phases', () => {
    const html = renderReport(
      buildHistory(sampleInventoryInput().runs, parseHistoryQuery({}), SAMPLE_NOW),
      'html',
    ).body;
    expect(html.match(/<button type="button" class="toggle" aria-expanded="false"/g)).toHaveLength(5);
    expect(html.match(/<tr class="detail" hidden>/g)).toHaveLength(5);
    expect(html).toContain('<ol class="timeline">');
  });
});

describe('renderReport', () => {
  it('serves JSON by default and CSV as an attachment', () => {
    expect(parseReportFormat(undefined)).toBe('json');
    expect(parseReportFormat(' CSV ')).toBe('csv');
    expect(() => parseReportFormat('xml')).toThrow(RotationError);
    const report = buildInventory(sampleInventoryInput());
    const json = renderReport(report, 'json');
    expect(JSON.parse(json.body).summary.total).toBe(15);
    const csv = renderReport(report, 'csv');
    expect(csv.headers['Content-Disposition']).toBe('attachment; filename="inventory-20260310T0930Z.csv"');
    expect(csv.headers['Content-Type']).toContain('text/csv');
  });
});
