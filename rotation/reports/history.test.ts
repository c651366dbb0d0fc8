import { describe, expect, it } from 'vitest';
import { RotationError } from '../errors.js';
import { FakeJournal } from '../fakes/index.js';
import { buildHistory, collectHistory, parseHistoryQuery } from './history.js';
import { SAMPLE_NOW, sampleInventoryInput } from './testing.js';

const runs = sampleInventoryInput().runs;

function rejected(params: Record<string, string>): RotationError {
  try {
    parseHistoryQuery(params);
  } catch (error) {
    if (error instanceof RotationError) return error;
    throw error;
  }
  throw new Error('expected a BadRequest');
}

describe('parseHistoryQuery', () => {
  it('parses dates (a date alone: since from midnight, until to the end of the day), secret, status', () => {
    const q = parseHistoryQuery({
      since: '2026-03-01',
      until: '2026-03-08',
      secret: 'groq-api-key',
      status: 'failed',
      format: 'csv',
    });
    expect(q.since?.toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(q.until?.toISOString()).toBe('2026-03-08T23:59:59.999Z');
    expect(q).toMatchObject({ secret: 'groq-api-key', status: 'failed', limit: 1000 });
    expect(parseHistoryQuery({ since: '2026-03-01T12:00:00+02:00' }).since?.toISOString()).toBe(
      '2026-03-01T10:00:00.000Z',
    );
    expect(parseHistoryQuery({ vault: 'KV-Prod', limit: '20' })).toMatchObject({
      vault: 'kv-prod',
      limit: 20,
    });
  });

  it('rejects bad values and unknown filters with details, never silently returning everything', () => {
    expect(rejected({ since: 'yesterday' }).details).toEqual([
      { path: 'since', message: expect.stringContaining('ISO 8601') },
    ]);
    expect(rejected({ status: 'exploded' }).details[0]).toMatchObject({ path: 'status' });
    expect(rejected({ stauts: 'failed' }).details).toEqual([{ path: 'stauts', message: 'unknown filter' }]);
    expect(rejected({ secret: 'bad name!' }).details[0]).toMatchObject({ path: 'secret' });
    expect(rejected({ since: '2026-03-05', until: '2026-03-01' }).details[0]).toMatchObject({
      path: 'until',
    });
    expect(rejected({ limit: '0' }).code).toBe('BadRequest');
  });
});

describe('buildHistory', () => {
  it('filters by time, secret and status, newest first, with counts', () => {
    const all = buildHistory(runs, parseHistoryQuery({}), SAMPLE_NOW);
    expect(all.runs.map((r) => r.createdAt)).toEqual([...all.runs.map((r) => r.createdAt)].sort().reverse());
    expect(all.summary.total).toBe(5);
    expect(all.summary.byStatus.failed).toBe(1);

    const since = buildHistory(runs, parseHistoryQuery({ since: '2026-03-08' }), SAMPLE_NOW);
    expect(since.runs.map((r) => r.secrets[0])).toEqual(['mongodb-uri', 'acs-connection', 'groq-api-key']);
    const until = buildHistory(runs, parseHistoryQuery({ until: '2026-03-05' }), SAMPLE_NOW);
    expect(until.runs.map((r) => r.secrets[0])).toEqual(['jwt-signing-key', 'openai-key']);
    const bySecret = buildHistory(runs, parseHistoryQuery({ secret: 'OPENAI-KEY-BATCH' }), SAMPLE_NOW);
    expect(bySecret.runs).toHaveLength(1);
    const byStatus = buildHistory(runs, parseHistoryQuery({ status: 'manual-action-required' }), SAMPLE_NOW);
    expect(byStatus.runs.map((r) => r.secrets)).toEqual([['groq-api-key']]);
    expect(byStatus.filter).toEqual({ status: 'manual-action-required', limit: 1000 });
  });

  it('carries trigger, phases, versions old → new, credential ids, key hints, consumers and duration', () => {
    const report = buildHistory(runs, parseHistoryQuery({ secret: 'jwt-signing-key' }), SAMPLE_NOW);
    const row = report.runs[0]!;
    expect(row.trigger).toEqual({
      kind: 'http',
      version: runs[3]!.triggerVersion,
      caller: 'alice@example.com',
      reason: 'quarterly rotation',
    });
    expect(row.phases.map((p) => p.phase)).toEqual([
      'queued',
      'claimed',
      'issued',
      'validated',
      'promoted',
      'propagated',
      'done',
    ]);
    expect(row.versions).toEqual([
      {
        secret: 'jwt-signing-key',
        from: runs[3]!.previousVersions['jwt-signing-key'],
        to: runs[3]!.newVersions['jwt-signing-key'],
      },
    ]);
    expect(row.credentialId).toEqual({ from: 'key1', to: 'key2' });
    expect(row.keyHint).toEqual({ from: 'Qx7e', to: 'n2Rk' });
    expect(row.consumers.map((c) => c.status)).toEqual(['ok', 'failed']);
    expect(row.durationMs).toBe(180_000);
    const running = buildHistory(runs, parseHistoryQuery({ status: 'running' }), SAMPLE_NOW).runs[0]!;
    expect(running.durationMs).toBeUndefined();
    expect(running.trigger).toEqual({
      kind: 'sweep',
      version: runs[4]!.triggerVersion,
      reason: 'due: expires in 12 days',
    });
  });

  it('caps at limit and says so', () => {
    const report = buildHistory(runs, parseHistoryQuery({ limit: '2' }), SAMPLE_NOW);
    expect(report.runs).toHaveLength(2);
    expect(report.truncated).toBe(true);
  });

  it('collectHistory passes the filters to the journal', async () => {
    const journal = new FakeJournal();
    for (const run of runs) await journal.create(run);
    const report = await collectHistory(
      { journal, clock: { now: () => SAMPLE_NOW } },
      parseHistoryQuery({ status: 'failed', vault: 'kv-prod' }),
    );
    expect(report.runs.map((r) => r.id)).toEqual([runs[0]!.id]);
  });
});
