import type { HttpResponseInit, Timer } from '@azure/functions';
import azureFunctions from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { jwtSecretProvider } from '../providers/jwt-secret/index.js';
import { SAMPLE_CONFIG_DOC, SAMPLE_NOW, sampleInventoryInput } from '../rotation/reports/testing.js';
import { MemoryHeartbeatStore } from '../rotation/sweep/index.js';
import { createFakeApp } from '../test/support/fake-app.js';
import { createDailySweepHandler } from './dailySweep.js';
import type { HttpFunctionHandler } from './definition.js';
import { createHistoryReportHandler } from './historyReport.js';
import { createInventoryReportHandler } from './inventoryReport.js';

const { HttpRequest, InvocationContext } = azureFunctions;
const DAY = 86_400_000;

async function reportsApp() {
  const fake = createFakeApp({ config: SAMPLE_CONFIG_DOC, start: SAMPLE_NOW.toISOString() });
  const input = sampleInventoryInput();
  for (const listing of input.listings) {
    for (const p of listing.secrets ?? []) {
      fake.world.store.seed(p.vault, p.name, {
        value: `secret-value-${p.name}-0123456789`,
        tags: p.tags,
        ...(p.expiresOn ? { expiresOn: p.expiresOn } : {}),
        ...(p.createdOn ? { createdOn: p.createdOn } : {}),
      });
    }
  }
  for (const run of input.runs) await fake.world.journal.create(run);
  const heartbeat = new MemoryHeartbeatStore();
  await heartbeat.record({
    id: 'sweep-1',
    startedAt: new Date(SAMPLE_NOW.getTime() - 8 * 3_600_000).toISOString(),
    finishedAt: new Date(SAMPLE_NOW.getTime() - 8 * 3_600_000).toISOString(),
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

async function get(
  handler: HttpFunctionHandler,
  path: string,
): Promise<HttpResponseInit & { status: number }> {
  const request = new HttpRequest({ method: 'GET', url: `http://127.0.0.1:7071${path}` });
  const response = (await handler(
    request,
    new InvocationContext({ functionName: 'test' }),
  )) as HttpResponseInit;
  return { ...response, status: response.status ?? 200 };
}

function header(response: HttpResponseInit, name: string): string | undefined {
  const headers = (response.headers ?? {}) as Record<string, string>;
  return headers[name];
}

describe('inventoryReport', () => {
  it('answers JSON by default: every secret with one state, no value', async () => {
    const { getApp } = await reportsApp();
    const response = await get(createInventoryReportHandler(getApp), '/api/reports/inventory');
    expect(response.status).toBe(200);
    const body = response.jsonBody as {
      summary: { total: number; byState: Record<string, number> };
      lastSweepAt: string;
    };
    expect(body.summary.total).toBe(15);
    expect(body.summary.byState).toMatchObject({ failing: 1, overdue: 1, 'manual-action-required': 1 });
    expect(body.lastSweepAt).toBe('2026-03-10T01:30:00.000Z');
    expect(JSON.stringify(body)).not.toContain('secret-value-');
  });

  it('serves CSV and a self-contained HTML page, and filters by vault and state', async () => {
    const { getApp } = await reportsApp();
    const handler = createInventoryReportHandler(getApp);
    const csv = await get(handler, '/api/reports/inventory?format=csv&vault=KV-SHARED');
    expect(header(csv, 'Content-Type')).toContain('text/csv');
    expect(header(csv, 'Content-Disposition')).toMatch(
      /^attachment; filename="inventory-\d{8}T\d{4}Z\.csv"$/,
    );
    const lines = String(csv.body).trim().split('\r\n');
    expect(lines).toHaveLength(7);
    expect(lines.slice(1).every((l) => l.startsWith('kv-shared,'))).toBe(true);

    const html = await get(handler, '/api/reports/inventory?format=html&state=failing');
    expect(header(html, 'Content-Security-Policy')).toContain("default-src 'none'");
    expect(String(html.body)).toContain('<!doctype html>');
    expect(String(html.body).match(/<tbody class="item"/g)).toHaveLength(1);
  });

  it('rejects unknown parameters, formats and states (400) and unknown vaults (404)', async () => {
    const { getApp } = await reportsApp();
    const handler = createInventoryReportHandler(getApp);
    const unknown = await get(handler, '/api/reports/inventory?stat=failing');
    expect(unknown.status).toBe(400);
    expect(unknown.jsonBody).toMatchObject({ error: { code: 'BadRequest', details: [{ path: 'stat' }] } });
    expect((await get(handler, '/api/reports/inventory?format=pdf')).status).toBe(400);
    expect((await get(handler, '/api/reports/inventory?state=sad')).status).toBe(400);
    expect((await get(handler, '/api/reports/inventory?vault=kv-other')).status).toBe(404);
    expect((await get(handler, '/api/reports/inventory?code=function-key')).status).toBe(200);
  });
});

describe('historyReport', () => {
  it('filters runs by status, secret and time, newest first', async () => {
    const { getApp } = await reportsApp();
    const handler = createHistoryReportHandler(getApp);
    const failed = await get(handler, '/api/reports/history?status=failed');
    const body = failed.jsonBody as { runs: { secrets: string[]; error: { code: string } }[] };
    expect(body.runs.map((r) => [r.secrets[0], r.error.code])).toEqual([
      ['acs-connection', 'ProviderUnavailable'],
    ]);
    const since = await get(handler, '/api/reports/history?since=2026-03-08&secret=groq-api-key');
    expect((since.jsonBody as { runs: unknown[] }).runs).toHaveLength(1);
    const html = await get(handler, '/api/reports/history?format=html');
    expect(String(html.body).match(/<tr class="detail" hidden>/g)).toHaveLength(5);
  });

  it('answers 400 with details for a bad filter', async () => {
    const { getApp } = await reportsApp();
    const response = await get(
      createHistoryReportHandler(getApp),
      '/api/reports/history?since=last-week&status=done',
    );
    expect(response.status).toBe(400);
    expect(response.jsonBody).toMatchObject({ error: { code: 'BadRequest', details: [{ path: 'since' }] } });
  });
});

describe('dailySweep', () => {
  const timer: Timer = {
    isPastDue: false,
    schedule: { adjustForDST: false },
    scheduleStatus: { last: '', next: '', lastUpdated: '' },
  };

  it('disables JWT versions past their grace period and writes the heartbeat', async () => {
    const { app, world, getApp } = createFakeApp({ providers: { 'jwt-secret': jwtSecretProvider } });
    const heartbeat = new MemoryHeartbeatStore();
    app.heartbeat = heartbeat;
    const now = world.clock.now().getTime();
    const old = world.store.seed('kv-test', 'jwt-secret-key', {
      value: 'a'.repeat(64),
      createdOn: new Date(now - 98 * DAY),
    });
    world.store.seed('kv-test', 'jwt-secret-key', {
      value: 'b'.repeat(64),
      createdOn: new Date(now - 8 * DAY),
      expiresOn: new Date(now + 82 * DAY),
    });
    await createDailySweepHandler(getApp)(timer, new InvocationContext({ functionName: 'dailySweep' }));
    const versions = world.store.versions('kv-test', 'jwt-secret-key');
    expect(versions.find((v) => v.version === old.version)?.enabled).toBe(false);
    expect(versions.at(-1)?.enabled).toBe(true);
    expect(heartbeat.beats[0]?.steps.find((s) => s.name === 'retire-versions')?.counts).toMatchObject({
      disabled: 1,
    });
  });

  it('fails the invocation when the inventory cannot be read', async () => {
    const { world, getApp } = createFakeApp();
    world.faults.inject({ op: 'journal.list', times: Number.POSITIVE_INFINITY });
    await expect(
      createDailySweepHandler(getApp)(timer, new InvocationContext({ functionName: 'dailySweep' })),
    ).rejects.toThrow(/daily sweep failed/);
  });
});
