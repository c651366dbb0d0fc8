/**
 * The HTML reports in a real browser (Debian's headless Chromium through playwright-core): served by the
 * report functions over the in-memory fakes on 127.0.0.1 with their Content Security Policy, loaded,
 * sorted, filtered and expanded; screenshots go to `test-results/` for people to look at.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HttpResponseInit } from '@azure/functions';
import azureFunctions from '@azure/functions';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpFunctionHandler } from '../../functions/definition.js';
import { createHistoryReportHandler } from '../../functions/historyReport.js';
import { createInventoryReportHandler } from '../../functions/inventoryReport.js';
import { createFakeProvider } from '../../rotation/fakes/index.js';
import { AUTOMATIC_PROVIDER_KINDS, MANUAL_PROVIDER_KINDS } from '../../rotation/kinds.js';
import type { ProviderRegistry } from '../../rotation/ports.js';
import { SAMPLE_CONFIG_DOC, SAMPLE_NOW, sampleInventoryInput } from '../../rotation/reports/testing.js';
import { MemoryHeartbeatStore } from '../../rotation/sweep/index.js';
import { createFakeApp } from '../support/fake-app.js';

const { HttpRequest, InvocationContext } = azureFunctions;

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const RESULTS = path.resolve('test-results');

let server: Server;
let origin: string;
let context: BrowserContext;
let profile: string;
const problems: string[] = [];

/** Providers of the right kinds and modes, so the page shows what a real deployment shows. */
function providers(): ProviderRegistry {
  const registry: ProviderRegistry = {};
  for (const kind of AUTOMATIC_PROVIDER_KINDS) registry[kind] = createFakeProvider({ kind });
  for (const kind of MANUAL_PROVIDER_KINDS) registry[kind] = createFakeProvider({ kind, mode: 'manual' });
  return registry;
}

async function fakeApp() {
  const fake = createFakeApp({
    config: SAMPLE_CONFIG_DOC,
    start: SAMPLE_NOW.toISOString(),
    providers: providers(),
  });
  const input = sampleInventoryInput();
  for (const listing of input.listings) {
    for (const p of listing.secrets ?? []) {
      fake.world.store.seed(p.vault, p.name, {
        value: `not-shown-${p.name}-0123456789`,
        tags: p.tags,
        ...(p.expiresOn ? { expiresOn: p.expiresOn } : {}),
        ...(p.createdOn ? { createdOn: p.createdOn } : {}),
      });
    }
  }
  for (const run of input.runs) await fake.world.journal.create(run);
  const heartbeat = new MemoryHeartbeatStore();
  const at = new Date(SAMPLE_NOW.getTime() - 8 * 3_600_000).toISOString();
  await heartbeat.record({
    id: 's1',
    startedAt: at,
    finishedAt: at,
    trigger: 'timer',
    outcome: 'ok',
    vaults: 2,
    secrets: 15,
    steps: [],
    problems: [],
  });
  fake.app.heartbeat = heartbeat;
  return fake;
}

/** Serves the two report functions the way the Functions host does (status, headers, body). */
function serve(routes: Record<string, HttpFunctionHandler>): Promise<Server> {
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const handler = routes[url.pathname];
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    const request = new HttpRequest({ method: 'GET', url: url.href });
    Promise.resolve(handler(request, new InvocationContext({ functionName: 'report' })))
      .then((answer) => {
        const response = answer as HttpResponseInit;
        res.writeHead(response.status ?? 200, (response.headers ?? {}) as Record<string, string>);
        res.end(typeof response.body === 'string' ? response.body : JSON.stringify(response.jsonBody));
      })
      .catch(() => res.writeHead(500).end());
  });
  return new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve(http)));
}

async function open(route: string): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`${route}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${route}: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith(origin)) problems.push(`${route}: external request ${request.url()}`);
  });
  const response = await page.goto(`${origin}${route}`);
  expect(response?.status()).toBe(200);
  return page;
}

const visibleRows = (page: Page) => page.locator('tbody.item:not([hidden])');
const shown = (page: Page) => page.locator('#shown').textContent();

beforeAll(async () => {
  const fake = await fakeApp();
  server = await serve({
    '/api/reports/inventory': createInventoryReportHandler(fake.getApp),
    '/api/reports/history': createHistoryReportHandler(fake.getApp),
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  profile = mkdtempSync(path.join(tmpdir(), 'rotator-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1440, height: 900 },
  });
  mkdirSync(RESULTS, { recursive: true });
});

afterAll(async () => {
  await context?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('inventory report in Chromium', () => {
  it('loads with its summary bar, runs its script under the CSP and fetches nothing else', async () => {
    const page = await open('/api/reports/inventory?format=html');
    await expect(page.title()).resolves.toBe('Secret inventory');
    expect(await visibleRows(page).count()).toBe(15);
    expect(await shown(page)).toBe('15');
    const chips = await page
      .locator('.chip[data-state]')
      .evaluateAll((els) =>
        els.map((e) => `${e.getAttribute('data-state')}=${e.querySelector('.n')?.textContent}`),
      );
    expect(chips).toEqual([
      'failing=1',
      'expired=2',
      'manual-action-required=1',
      'overdue=1',
      'due=2',
      'no-expiry=1',
      'unmanaged=2',
      'ok=5',
    ]);
    const html = await page.content();
    expect(html).not.toContain('not-shown-');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('sorts by a column both ways, keeping empty cells last', async () => {
    const page = await open('/api/reports/inventory?format=html');
    const days = page.locator('th', { hasText: 'Days left' });
    const column = () =>
      visibleRows(page).evaluateAll((rows) =>
        rows.map((r) => r.querySelectorAll('td')[8]?.textContent?.trim() ?? ''),
      );
    await days.locator('button').click();
    expect(await days.getAttribute('aria-sort')).toBe('ascending');
    const ascending = await column();
    expect(ascending.slice(0, 3)).toEqual(['-3', '-1', '5']);
    expect(ascending.slice(-2)).toEqual(['—', '—']);
    await days.locator('button').click();
    expect(await days.getAttribute('aria-sort')).toBe('descending');
    const descending = await column();
    expect(descending[0]).toBe('200');
    expect(descending.slice(-2)).toEqual(['—', '—']);
    const secret = page.locator('th', { hasText: 'Secret' });
    await secret.locator('button').click();
    expect(await days.getAttribute('aria-sort')).toBe('none');
    const names = await visibleRows(page).evaluateAll((rows) =>
      rows.map((r) => r.querySelector('.name')?.textContent ?? ''),
    );
    expect(names).toEqual([...names].sort());
    await page.close();
  });

  it('filters by text, by state chip and by the state menu, and clears', async () => {
    const page = await open('/api/reports/inventory?format=html');
    await page.fill('#q', 'kv-shared');
    expect(await visibleRows(page).count()).toBe(6);
    expect(await shown(page)).toBe('6');
    await page.fill('#q', 'kv-shared manual');
    expect(await visibleRows(page).count()).toBe(5);
    await page.click('#clear');
    await page.click('.chip[data-state="failing"]');
    expect(await page.locator('.chip[data-state="failing"]').getAttribute('aria-pressed')).toBe('true');
    expect(await visibleRows(page).count()).toBe(1);
    expect(await visibleRows(page).first().textContent()).toContain('acs-connection');
    await page.click('.chip[data-state="failing"]');
    expect(await visibleRows(page).count()).toBe(15);
    await page.selectOption('#state', 'ok');
    expect(await visibleRows(page).count()).toBe(5);
    await page.fill('#q', 'no such secret');
    expect(await page.locator('#empty').isVisible()).toBe(true);
    await page.click('#clear');
    expect(await visibleRows(page).count()).toBe(15);
    expect(await page.locator('#empty').isVisible()).toBe(false);
    await page.screenshot({ path: path.join(RESULTS, 'inventory.png'), fullPage: true });
    await page.close();
  });
});

describe('history report in Chromium', () => {
  it('expands runs to their phases, filters by status and writes a screenshot', async () => {
    const page = await open('/api/reports/history?format=html');
    await expect(page.title()).resolves.toBe('Rotation history');
    expect(await visibleRows(page).count()).toBe(5);
    const failed = visibleRows(page).filter({ hasText: 'acs-connection' });
    expect(await failed.locator('tr.detail').isVisible()).toBe(false);
    await failed.locator('button.toggle').click();
    expect(await failed.locator('tr.detail').isVisible()).toBe(true);
    expect(await failed.locator('tr.detail').textContent()).toContain('ProviderUnavailable');
    expect(await failed.locator('.timeline li').count()).toBe(2);
    const done = visibleRows(page).filter({ hasText: 'openai-key-batch' });
    await done.locator('button.toggle').click();
    expect(await done.locator('.timeline li').count()).toBe(7);
    await page.selectOption('#state', 'failed');
    expect(await visibleRows(page).count()).toBe(1);
    await page.selectOption('#state', '');
    await page.click('#expand-all');
    expect(await page.locator('tr.detail:visible').count()).toBe(5);
    await page.click('#expand-all');
    expect(await page.locator('tr.detail:visible').count()).toBe(0);
    await failed.locator('button.toggle').click();
    await page.screenshot({ path: path.join(RESULTS, 'history.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
