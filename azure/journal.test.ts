import type { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAzurite, startAzurite } from '../local/azurite.js';
import { isRotationError } from '../rotation/errors.js';
import { collect, sampleRun as run } from '../test/support/journal-runs.js';
import { createClientFactory } from './clients.js';
import { localEnvironment } from './endpoints.js';
import {
  escapeTableKey,
  historyFilterExpression,
  JOURNAL_TABLE,
  RUN_PART_CHARS,
  splitJson,
  TableJournal,
} from './journal.js';

let azurite: RunningAzurite;
let journal: TableJournal;
let table: () => Promise<TableClient>;

beforeAll(async () => {
  azurite = await startAzurite();
  const factory = createClientFactory(
    localEnvironment({
      caCert: 'unused',
      vaultUrls: {},
      armEndpoint: 'https://127.0.0.1:9',
      storageConnectionString: azurite.connectionString,
    }),
    { timing: 'fast' },
  );
  table = () => factory.tableClient(JOURNAL_TABLE);
  journal = new TableJournal(table);
});

afterAll(async () => {
  await azurite?.stop();
});

describe('TableJournal', () => {
  it('creates the table on first use and round-trips a run', async () => {
    const record = run();
    const { etag } = await journal.create(record);
    expect(etag).toBeTruthy();
    const read = await journal.get(record.id);
    expect(read?.run).toEqual(record);
    expect(read?.etag).toBe(etag);
    expect(await journal.get('no-such-run')).toBeUndefined();
  });

  it("reads a run in one point read when told its vault and group; not at all under another group's", async () => {
    const reads: string[] = [];
    const counting = new TableJournal(async () => {
      const client = await table();
      return new Proxy(client, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property !== 'getEntity' || typeof value !== 'function') return value;
          return (partitionKey: string, rowKey: string, ...rest: unknown[]) => {
            reads.push(partitionKey);
            return value.call(target, partitionKey, rowKey, ...rest);
          };
        },
      });
    });
    const record = run({ vault: 'KV-Main', group: 'OpenAI' });
    await journal.create(record);
    reads.length = 0;
    expect((await counting.get(record.id, { vault: 'kv-main', group: 'openai' }))?.run).toEqual(record);
    expect(reads).toHaveLength(1);
    reads.length = 0;
    expect((await counting.get(record.id))?.run).toEqual(record); // no hint: the id index, then the row
    expect(reads).toHaveLength(2);
    expect(await counting.get(record.id, { vault: 'kv-main', group: 'other' })).toBeUndefined();
  });

  it('stores indexed columns next to the record, under an escaped partition key', async () => {
    const record = run({ group: 'a/b\\c#d?e%f' });
    await journal.create(record);
    const client = await table();
    const entity = await client.getEntity(escapeTableKey('kv1|a/b\\c#d?e%f'), record.id);
    expect(entity.partitionKey).toBe('kv1|a%2Fb%5Cc%23d%3Fe%25f');
    expect(entity.Status).toBe('running');
    expect(entity.Phase).toBe('claimed');
    expect(entity.Secrets).toBe('|openai-key|openai-key-copy|');
    expect(entity.RunParts).toBe(1);
    expect((await journal.get(record.id))?.run.group).toBe('a/b\\c#d?e%f');
  });

  it('refuses a second create of the same run id with RunInProgress', async () => {
    const record = run();
    await journal.create(record);
    const error = await journal.create({ ...record, status: 'done' }).catch((e: unknown) => e);
    expect(isRotationError(error, 'RunInProgress')).toBe(true);
    expect((await journal.get(record.id))?.run.status).toBe('running');
  });

  it('replaces with the current etag and refuses a stale one', async () => {
    const record = run();
    const { etag: first } = await journal.create(record);
    const moved = { ...record, phase: 'issued' as const, updatedAt: '2026-01-10T10:01:00.000Z' };
    const { etag: second } = await journal.replace(moved, first);
    expect(second).not.toBe(first);
    const stale = await journal.replace({ ...moved, status: 'failed' }, first).catch((e: unknown) => e);
    expect(isRotationError(stale, 'RunInProgress')).toBe(true);
    const read = await journal.get(record.id);
    expect(read?.run.phase).toBe('issued');
    expect(read?.run.status).toBe('running');
    expect(read?.etag).toBe(second);
  });

  it('refuses to replace a run that is gone', async () => {
    const error = await journal
      .replace(run(), 'W/"datetime\'2026-01-01T00%3A00%3A00Z\'"')
      .catch((e: unknown) => e);
    expect(isRotationError(error, 'RunInProgress')).toBe(true);
  });

  it('splits a record larger than one table property and reads it back', async () => {
    const consumers = Array.from({ length: 400 }, (_, i) => ({
      name: `consumer-${i}`,
      status: 'ok' as const,
      detail: `${'x'.repeat(150)}\u{1F511}`,
      at: '2026-01-10T10:00:00.000Z',
      attempts: 1,
    }));
    const record = run({ consumers });
    expect(JSON.stringify(record).length).toBeGreaterThan(2 * RUN_PART_CHARS);
    await journal.create(record);
    const client = await table();
    const entity = await client.getEntity('kv1|openai', record.id);
    expect(entity.RunParts).toBe(Math.ceil(JSON.stringify(record).length / RUN_PART_CHARS));
    expect(typeof entity.Run1).toBe('string');
    expect((await journal.get(record.id))?.run).toEqual(record);
  });

  it('refuses a record too large for one entity, writing nothing', async () => {
    const record = run({ error: { code: 'X', message: 'm'.repeat(16 * RUN_PART_CHARS), phase: 'issued' } });
    const error = await journal.create(record).catch((e: unknown) => e);
    expect(isRotationError(error, 'InternalError')).toBe(true);
    expect(await journal.get(record.id)).toBeUndefined();
  });

  it('never cuts a record between the halves of a surrogate pair', () => {
    const json = `${'a'.repeat(RUN_PART_CHARS - 1)}\u{1F511}b`;
    const parts = splitJson(json);
    expect(parts.join('')).toBe(json);
    expect(parts.map((p) => p.length)).toEqual([RUN_PART_CHARS - 1, 3]);
    expect(splitJson('')).toEqual(['']);
  });

  describe('list and latestForGroup', () => {
    const vault = 'kv-list';
    const a1 = run({
      vault,
      group: 'ga',
      secrets: ['s1'],
      status: 'done',
      createdAt: '2026-02-01T00:00:00.000Z',
    });
    const a2 = run({
      vault,
      group: 'ga',
      secrets: ['s1'],
      status: 'failed',
      createdAt: '2026-02-03T00:00:00.000Z',
    });
    const b1 = run({
      vault,
      group: 'gb',
      secrets: ['s2', 's3'],
      status: 'done',
      createdAt: '2026-02-02T00:00:00.000Z',
    });
    const other = run({
      vault: 'kv-other',
      group: 'ga',
      secrets: ['s1'],
      status: 'done',
      createdAt: '2026-02-02T00:00:00.000Z',
    });
    const tricky = run({
      vault,
      group: "g'c",
      secrets: ["s' or 1 eq 1 or Vault eq '"],
      status: 'done',
      createdAt: '2026-02-04T00:00:00.000Z',
    });

    beforeAll(async () => {
      for (const r of [a1, a2, b1, other, tricky]) await journal.create(r);
    });

    const ids = async (filter: Parameters<TableJournal['list']>[0]) =>
      (await collect(journal.list(filter))).map((r) => r.id).sort();

    it('lists oldest first, whatever the key order', async () => {
      expect((await collect(journal.list({ vault }))).map((r) => r.createdAt)).toEqual([
        '2026-02-01T00:00:00.000Z',
        '2026-02-02T00:00:00.000Z',
        '2026-02-03T00:00:00.000Z',
        '2026-02-04T00:00:00.000Z',
      ]);
    });

    it('filters by vault, group, status, secret and time window', async () => {
      expect(await ids({ vault })).toEqual([a1.id, a2.id, b1.id, tricky.id].sort());
      expect(await ids({ vault: 'KV-LIST', group: 'GA' })).toEqual([a1.id, a2.id].sort());
      expect(await ids({ group: 'ga' })).toEqual([a1.id, a2.id, other.id].sort());
      expect(await ids({ vault, status: 'done' })).toEqual([a1.id, b1.id, tricky.id].sort());
      expect(await ids({ vault, secret: 'S3' })).toEqual([b1.id]);
      expect(
        await ids({
          vault,
          since: new Date('2026-02-02T00:00:00.000Z'),
          until: new Date('2026-02-03T00:00:00.000Z'),
        }),
      ).toEqual([a2.id, b1.id].sort()); // both bounds inclusive, like the in-memory fake
    });

    it('treats quotes and OData operators in filter values as data (no filter injection)', async () => {
      expect(await ids({ vault, secret: "s' or 1 eq 1 or Vault eq '" })).toEqual([tricky.id]);
      expect(await ids({ vault, secret: "x' or 1 eq 1 or '" })).toEqual([]);
      expect(await ids({ vault, group: "g'c" })).toEqual([tricky.id]);
      expect(await ids({ vault: "kv-list' or 1 eq 1 or Vault eq '" })).toEqual([]);
      expect(await ids({ group: "ga' or Status ne 'x" })).toEqual([]);
      expect(await ids({ vault, group: "ga' or 1 eq 1 or PartitionKey eq '" })).toEqual([]);
    });

    it('builds filters with every value quoted and escaped', async () => {
      const { odata } = await import('@azure/data-tables');
      expect(historyFilterExpression({ vault: "a' or 1 eq 1 or 'b", status: 'done' }, odata)).toBe(
        "Vault eq 'a'' or 1 eq 1 or ''b' and Status eq 'done'",
      );
      expect(historyFilterExpression({ since: new Date('2026-01-01T00:00:00Z') }, odata)).toBe(
        "CreatedAt ge datetime'2026-01-01T00:00:00.000Z'",
      );
      expect(historyFilterExpression({}, odata)).toBeUndefined();
    });

    it('returns the most recently created run of a group', async () => {
      expect((await journal.latestForGroup(vault, 'ga'))?.id).toBe(a2.id);
      expect((await journal.latestForGroup('KV-LIST', 'GB'))?.id).toBe(b1.id);
      expect((await journal.latestForGroup(vault, "g'c"))?.id).toBe(tricky.id);
      expect(await journal.latestForGroup(vault, 'nothing')).toBeUndefined();
    });
  });
});
