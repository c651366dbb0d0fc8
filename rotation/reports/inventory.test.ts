import { describe, expect, it } from 'vitest';
import { FakeWorld } from '../fakes/index.js';
import type { HeartbeatStore, SweepHeartbeat } from '../ports.js';
import { collectInventory, runLookbackDays } from './collect.js';
import { buildInventory, type InventoryRow } from './inventory.js';
import { SAMPLE_NOW, sampleConfig, sampleInventoryInput, sampleRun } from './testing.js';

function rowOf(rows: InventoryRow[], name: string): InventoryRow {
  const row = rows.find((r) => r.name === name);
  if (!row) throw new Error(`no row ${name}`);
  return row;
}

describe('buildInventory', () => {
  const input = sampleInventoryInput();
  const report = buildInventory(input);

  it('lists every secret of every vault, managed or not, with one state each', () => {
    expect(report.summary.total).toBe(15);
    expect(report.summary.byState).toEqual({
      failing: 1,
      expired: 2,
      'manual-action-required': 1,
      overdue: 1,
      due: 2,
      'no-expiry': 1,
      unmanaged: 2,
      ok: 5,
    });
    expect(report.rows.map((r) => r.state)).toEqual(
      [...report.rows.map((r) => r.state)].sort((a, b) => order(a) - order(b)),
    );
  });

  it('fills provider, group, credential id, dates, days left and the last run', () => {
    const acs = rowOf(report.rows, 'acs-connection');
    expect(acs).toMatchObject({
      vault: 'kv-prod',
      managed: true,
      source: 'config',
      provider: 'azure-communication',
      mode: 'automatic',
      credentialId: 'Primary',
      daysLeft: 10,
      state: 'failing',
      lastRun: { id: 'a1f0c2d3e4f5061728394a5b6c7d8e9f', status: 'failed', errorCode: 'ProviderUnavailable' },
    });
    expect(acs.expires).toBe('2026-03-20T09:30:00.000Z');
    const groq = rowOf(report.rows, 'groq-api-key');
    expect(groq).toMatchObject({
      mode: 'manual',
      owners: ['platform@example.com'],
      state: 'manual-action-required',
    });
  });

  it('shares the group run between siblings and reads the current version from the run that wrote it', () => {
    const openai = rowOf(report.rows, 'openai-key');
    const batch = rowOf(report.rows, 'openai-key-batch');
    expect(openai.lastRun?.id).toBe(batch.lastRun?.id);
    expect(openai.group).toBe(batch.group);
    expect(openai.currentVersion).toBe(input.runs[2]!.newVersions['openai-key']);
  });

  it('treats a secret with Microsoft rotation tags as managed (source tags)', () => {
    expect(rowOf(report.rows, 'speech-key')).toMatchObject({
      managed: true,
      source: 'tags',
      provider: 'azure-cognitive-services',
      state: 'due',
    });
    expect(rowOf(report.rows, 'storage-conn')).toMatchObject({
      managed: false,
      state: 'unmanaged',
      owners: [],
    });
  });

  it('reports configured secrets missing from their vault, and vaults that cannot be listed', () => {
    const broken = buildInventory({
      ...input,
      listings: [
        { vault: 'kv-prod', secrets: input.listings[0]!.secrets!.filter((s) => s.name !== 'groq-api-key') },
        { vault: 'kv-shared', error: { code: 'PermissionDenied', message: 'list is not allowed' } },
      ],
    });
    expect(broken.problems).toEqual([
      expect.objectContaining({ vault: 'kv-prod', secret: 'groq-api-key', code: 'SecretNotFound' }),
      { vault: 'kv-shared', code: 'PermissionDenied', message: 'list is not allowed' },
    ]);
    expect(broken.rows.every((r) => r.vault === 'kv-prod')).toBe(true);
  });
});

function order(state: string): number {
  return [
    'failing',
    'expired',
    'manual-action-required',
    'overdue',
    'due',
    'no-expiry',
    'unmanaged',
    'ok',
  ].indexOf(state);
}

describe('collectInventory', () => {
  function world() {
    const config = sampleConfig();
    const w = new FakeWorld({ groups: config.groups, start: SAMPLE_NOW.toISOString() });
    const input = sampleInventoryInput();
    for (const listing of input.listings) {
      for (const p of listing.secrets ?? []) {
        w.store.seed(p.vault, p.name, {
          value: `value-of-${p.name}-${'x'.repeat(20)}`,
          tags: p.tags,
          ...(p.expiresOn ? { expiresOn: p.expiresOn } : {}),
          ...(p.createdOn ? { createdOn: p.createdOn } : {}),
        });
      }
    }
    return { w, config, input };
  }

  it('reads only listings and one journal query per vault: no value reads, nothing per secret', async () => {
    const { w, config, input } = world();
    for (const run of input.runs) await w.journal.create(run);
    w.faults.resetCalls();
    const scan = await collectInventory({ ...w.deps }, config);
    const calls = w.faults.calls;
    expect(calls.filter((c) => c === 'store.listSecrets')).toHaveLength(2);
    expect(calls.filter((c) => c === 'journal.list')).toHaveLength(2);
    expect(calls.filter((c) => !['store.listSecrets', 'journal.list'].includes(c))).toEqual([]);
    expect(scan.report.summary.total).toBe(15);
    expect(scan.report.rows.find((r) => r.name === 'acs-connection')?.state).toBe('failing');
    expect(JSON.stringify(scan.report)).not.toContain('value-of-');
  });

  it('uses the last heartbeat for overdue, and survives a vault that cannot be listed', async () => {
    const { w, config } = world();
    const beat: SweepHeartbeat = {
      id: 'sweep-1',
      startedAt: new Date(SAMPLE_NOW.getTime() - 3_600_000).toISOString(),
      finishedAt: new Date(SAMPLE_NOW.getTime() - 3_000_000).toISOString(),
      trigger: 'timer',
      outcome: 'ok',
      vaults: 2,
      secrets: 15,
      steps: [],
      problems: [],
    };
    const heartbeat: HeartbeatStore = { record: async () => {}, latest: async () => beat };
    w.faults.inject({ op: 'store.listSecrets', when: (args) => args[0] === 'kv-shared' });
    const scan = await collectInventory({ ...w.deps, heartbeat }, config);
    expect(scan.report.lastSweepAt).toBe(beat.finishedAt);
    expect(scan.report.problems).toEqual([
      expect.objectContaining({ vault: 'kv-shared', code: 'AzureUnavailable' }),
    ]);
    expect(scan.report.rows.find((r) => r.name === 'session-secret')?.state).toBe('overdue');
  });

  it('looks back over the longest validity of the vault plus the due window', () => {
    const config = sampleConfig();
    expect(runLookbackDays(config, 'kv-prod')).toBe(90 + 30 + 5);
  });

  it('finds the latest run of each group among the recent runs only', async () => {
    const { w, config } = world();
    const old = sampleRun({
      id: 'f'.repeat(32),
      vault: 'kv-prod',
      group: config.findSecret('kv-prod', 'session-secret')!.group,
      provider: 'jwt-secret',
      secrets: ['session-secret'],
      status: 'failed',
      created: -400,
    });
    await w.journal.create(old);
    const scan = await collectInventory(w.deps, config);
    expect(scan.report.rows.find((r) => r.name === 'session-secret')?.lastRun).toBeUndefined();
  });
});
