/**
 * The id index of `TableJournal`: `get(id)` is point reads (no `$filter` query), a dangling index row
 * neither reads as a run nor blocks a create, runs written before the index are found once and
 * backfilled, and history queries never return index rows.
 */

import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningAzurite, startAzurite } from '../local/azurite.js';
import { isRotationError } from '../rotation/errors.js';
import type { RunRecord } from '../rotation/ports.js';
import { collect, sampleRun as run } from '../test/support/journal-runs.js';
import { escapeTableKey, INDEX_PARTITION, TableJournal } from './journal.js';

let azurite: RunningAzurite;
const requests: { method: string; url: string }[] = [];

const counting: PipelinePolicy = {
  name: 'countRequests',
  sendRequest(request, next) {
    requests.push({ method: request.method, url: decodeURIComponent(request.url) });
    return next(request);
  },
};

function clientFor(table: string): TableClient {
  return TableClient.fromConnectionString(azurite.connectionString, table, {
    allowInsecureConnection: true,
    additionalPolicies: [{ policy: counting, position: 'perCall' }],
  });
}

const journalOver = (table: string) => new TableJournal(async () => clientFor(table));
const queries = () => requests.filter((r) => r.method === 'GET' && r.url.includes('$filter'));

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite?.stop();
});

beforeEach(() => {
  requests.length = 0;
});

describe('TableJournal id index', () => {
  const table = 'indexruns';
  let journal: TableJournal;

  beforeAll(async () => {
    journal = journalOver(table);
    expect(await journal.get('warm-up')).toBeUndefined(); // creates the table and the index marker
  });

  it('writes an index row naming the run partition, and get is two point reads', async () => {
    const record = run({ id: 'run/with#odd?chars' });
    await journal.create(record);
    const index = await clientFor(table).getEntity(INDEX_PARTITION, escapeTableKey(record.id));
    expect(index.RunPartition).toBe('kv1|openai');
    requests.length = 0;
    expect((await journal.get(record.id))?.run).toEqual(record);
    expect(queries()).toEqual([]);
    expect(requests.map((r) => r.method)).toEqual(['GET', 'GET']);
  });

  it('answers a missing run with one point read once the index is complete', async () => {
    expect(await journal.get('no-such-run')).toBeUndefined();
    expect(queries()).toEqual([]);
    expect(requests).toHaveLength(1);
    // A fresh instance reads the marker once, then trusts the index.
    const fresh = journalOver(table);
    expect(await fresh.get('no-such-run')).toBeUndefined();
    expect(await fresh.get('no-such-run-2')).toBeUndefined();
    expect(queries()).toEqual([]);
  });

  it('reads a dangling index (run insert failed) as not found and lets a later create through', async () => {
    const client = clientFor(table);
    const same = run();
    const elsewhere = run();
    await client.createEntity({ partitionKey: INDEX_PARTITION, rowKey: same.id, RunPartition: 'kv1|openai' });
    await client.createEntity({ partitionKey: INDEX_PARTITION, rowKey: elsewhere.id, RunPartition: 'kv9|x' });
    expect(await journal.get(same.id)).toBeUndefined();
    expect(await journal.get(elsewhere.id)).toBeUndefined();
    await journal.create(same);
    await journal.create(elsewhere);
    expect((await journal.get(same.id))?.run).toEqual(same);
    expect((await journal.get(elsewhere.id))?.run).toEqual(elsewhere);
    expect((await client.getEntity(INDEX_PARTITION, elsewhere.id)).RunPartition).toBe('kv1|openai');
    expect(queries()).toEqual([]);
  });

  it('still refuses a second create, and an index pointing at another live run', async () => {
    const record = run();
    await journal.create(record);
    const again = await journal.create({ ...record, status: 'done' }).catch((e: unknown) => e);
    expect(isRotationError(again, 'RunInProgress')).toBe(true);
    const moved = await journal.create({ ...record, group: 'other' }).catch((e: unknown) => e);
    expect(isRotationError(moved, 'RunInProgress')).toBe(true);
    expect((await journal.get(record.id))?.run).toEqual(record);
  });

  it('never returns index rows from list or latestForGroup', async () => {
    const client = clientFor(table);
    await client.createEntity({
      partitionKey: INDEX_PARTITION,
      rowKey: 'dangling',
      RunPartition: 'kv1|openai',
    });
    const listed = await collect(journal.list({}));
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((r) => r.vault === 'kv1')).toBe(true);
    expect(await collect(journal.list({ status: 'running' }))).toHaveLength(listed.length);
    const latest = await journal.latestForGroup('kv1', 'openai');
    expect(latest?.id).toBeDefined();
    expect(listed.map((r) => r.id)).toContain(latest?.id);
    const listQuery = queries().find((q) => q.url.includes('Status'));
    expect(listQuery?.url).toContain("PartitionKey ne '_id'");
  });
});

describe('a table the journal creates', () => {
  it('is marked complete at once: reading unknown run ids never writes, never scans', async () => {
    const journal = journalOver('freshruns');
    requests.length = 0;
    expect(await journal.get('no-such-run')).toBeUndefined();
    const writes = requests.filter((r) => r.method !== 'GET');
    // the table's creation and its marker, nothing for the read itself
    expect(writes.map((r) => r.method)).toEqual(['POST', 'PUT']);
    requests.length = 0;
    const other = journalOver('freshruns');
    expect(await other.get('no-such-run-either')).toBeUndefined();
    expect(requests.filter((r) => r.method !== 'GET').map((r) => r.method)).toEqual(['POST']); // exists: 409
    expect(queries()).toEqual([]);
  });
});

describe('runs journaled before the index', () => {
  it('are found once by a scan, backfilled, and then read by point reads', async () => {
    const table = 'legacyruns';
    const client = clientFor(table);
    const writer = journalOver(table);
    const legacy = [run(), run({ group: 'g2' }), run({ vault: 'kv2' })];
    for (const r of legacy) await writer.create(r);
    // What the journal looked like before the index: run rows only, no index rows and no marker.
    for await (const row of client.listEntities({ queryOptions: { filter: `PartitionKey eq '_id'` } })) {
      await client.deleteEntity(row.partitionKey ?? '', row.rowKey ?? '');
    }
    const [first, second, third] = legacy as [RunRecord, RunRecord, RunRecord];

    const reader = journalOver(table);
    requests.length = 0;
    expect((await reader.get(first.id))?.run).toEqual(first);
    expect(queries()).toHaveLength(1);
    for (const r of legacy) {
      const index = await client.getEntity(INDEX_PARTITION, r.id);
      expect(index.RunPartition).toBe(`${r.vault}|${r.group}`);
    }

    requests.length = 0;
    const later = journalOver(table);
    expect((await later.get(second.id))?.run).toEqual(second);
    expect((await later.get(third.id))?.run).toEqual(third);
    expect(await later.get('never-written')).toBeUndefined();
    expect(queries()).toEqual([]);
    expect((await collect(later.list({}))).map((r) => r.id).sort()).toEqual(legacy.map((r) => r.id).sort());
  });
});
