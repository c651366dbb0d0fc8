/**
 * `Journal` over Azure Table storage (table `rotationruns`).
 *
 * One entity per run: PartitionKey `<vault>|<group>` (escaped for table key rules), RowKey the run id.
 * The whole `RunRecord` is stored as JSON, split over `Run0..RunN` string properties (a table string
 * property holds at most 32K UTF-16 characters), next to indexed columns for filters. Run records never
 * contain secret values (DESIGN.md, Safety rules), so the JSON is safe to store as is.
 *
 * Filters are built with `@azure/data-tables`' `odata` tagged template, which quotes and escapes every
 * value; nothing caller-supplied is ever concatenated into a filter. Azure Table queries have no
 * substring/contains operator, so the `secret` filter is applied to the indexed rows after the query.
 */
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { RotationError } from '../rotation/errors.js';
import type { HistoryFilter, Journal, RunRecord, RunWhere } from '../rotation/ports.js';
import { azureCodeOf, azureStatusOf, wrapAzureError } from './errors.js';
import { tableOnFirstUse } from './table-ready.js';

export const JOURNAL_TABLE = 'rotationruns';

/** Characters per `RunN` property: under the 32K-character (64 KiB) limit of a table string property. */
export const RUN_PART_CHARS = 30_000;
/** An entity holds at most 1 MiB (strings count as UTF-16): 15 parts of 30K characters is ~900 KB. */
const MAX_PARTS = 15;

/**
 * Partition of the id index: one row per run, RowKey the (escaped) run id, `RunPartition` the run's
 * PartitionKey, so `get(id)` is two point reads instead of a cross-partition scan (run ids are hashes:
 * the partition cannot be derived from them). Run partitions always contain `|`, so they never clash.
 */
export const INDEX_PARTITION = '_id';
/** Marker row in the index partition: every run row has its index row. `%` + non-hex never escapes to. */
const INDEX_COMPLETE_KEY = '%index-complete';

const FORBIDDEN_KEY_CHARS = new Set(['%', '/', '\\', '#', '?']);

/**
 * Escapes a table key: `/ \ # ?` and control characters are not allowed in PartitionKey/RowKey.
 * `%` is escaped too so the mapping is reversible and two different inputs never collide.
 */
export function escapeTableKey(value: string): string {
  let out = '';
  for (const c of value) {
    const code = c.codePointAt(0)!;
    const control = code <= 0x1f || (code >= 0x7f && code <= 0x9f);
    out += control || FORBIDDEN_KEY_CHARS.has(c) ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : c;
  }
  return out;
}

export function journalPartitionKey(vault: string, group: string): string {
  return escapeTableKey(`${vault.toLowerCase()}|${group.toLowerCase()}`);
}

type RunEntity = Record<string, unknown> & { partitionKey: string; rowKey: string };

function toEntity(run: RunRecord): RunEntity {
  const json = JSON.stringify(run);
  const chunks = splitJson(json);
  if (chunks.length > MAX_PARTS) {
    throw new RotationError(
      'InternalError',
      `run ${run.id} is too large to journal (${json.length} characters)`,
    );
  }
  const entity: RunEntity = {
    partitionKey: journalPartitionKey(run.vault, run.group),
    rowKey: escapeTableKey(run.id),
    Vault: run.vault.toLowerCase(),
    Group: run.group.toLowerCase(),
    Provider: run.provider,
    Status: run.status,
    Phase: run.phase,
    /** `|a|b|`: readable in Storage Explorer and matched exactly (`|name|`) by the secret filter. */
    Secrets: `|${run.secrets.map((s) => s.toLowerCase()).join('|')}|`,
    Attempt: run.attempt,
    CreatedAt: new Date(run.createdAt),
    UpdatedAt: new Date(run.updatedAt),
    RunParts: chunks.length,
  };
  chunks.forEach((chunk, i) => {
    entity[`Run${i}`] = chunk;
  });
  return entity;
}

/** Cuts the JSON into `RUN_PART_CHARS` pieces, never between the two halves of a surrogate pair. */
export function splitJson(json: string): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < json.length || chunks.length === 0) {
    let end = Math.min(start + RUN_PART_CHARS, json.length);
    const last = json.charCodeAt(end - 1);
    if (end < json.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    chunks.push(json.slice(start, end));
    start = end;
  }
  return chunks;
}

function fromEntity(entity: Record<string, unknown>): RunRecord {
  const parts = entity.RunParts;
  if (typeof parts !== 'number' || !Number.isInteger(parts) || parts < 1 || parts > MAX_PARTS) {
    throw new RotationError('InternalError', `journal entity ${String(entity.rowKey)} has no run record`);
  }
  let json = '';
  for (let i = 0; i < parts; i++) {
    const part = entity[`Run${i}`];
    if (typeof part !== 'string') {
      throw new RotationError(
        'InternalError',
        `journal entity ${String(entity.rowKey)} is missing part ${i}`,
      );
    }
    json += part;
  }
  let run: unknown;
  try {
    run = JSON.parse(json);
  } catch {
    throw new RotationError('InternalError', `journal entity ${String(entity.rowKey)} holds invalid JSON`);
  }
  const r = run as Partial<RunRecord> | null;
  if (!r || typeof r.id !== 'string' || typeof r.vault !== 'string' || typeof r.group !== 'string') {
    throw new RotationError('InternalError', `journal entity ${String(entity.rowKey)} is not a run record`);
  }
  return r as RunRecord;
}

function secretsMatch(entity: Record<string, unknown>, secret: string | undefined): boolean {
  if (secret === undefined) return true;
  return typeof entity.Secrets === 'string' && entity.Secrets.includes(`|${secret.toLowerCase()}|`);
}

type Odata = (strings: TemplateStringsArray, ...values: unknown[]) => string;
/** The SDK's `odata` tag, once loaded (a failed load is retried: the promise is dropped). */
let odataTag: Promise<Odata> | undefined;

/** Builds the OData filter for a history query. Exported for tests. */
export function historyFilterExpression(filter: HistoryFilter, odata: Odata): string | undefined {
  const clauses: string[] = [];
  if (filter.vault !== undefined && filter.group !== undefined) {
    clauses.push(odata`PartitionKey eq ${journalPartitionKey(filter.vault, filter.group)}`);
  } else {
    if (filter.vault !== undefined) clauses.push(odata`Vault eq ${filter.vault.toLowerCase()}`);
    if (filter.group !== undefined) clauses.push(odata`Group eq ${filter.group.toLowerCase()}`);
  }
  if (filter.status !== undefined) clauses.push(odata`Status eq ${filter.status}`);
  if (filter.since !== undefined) clauses.push(odata`CreatedAt ge ${filter.since}`);
  if (filter.until !== undefined) clauses.push(odata`CreatedAt le ${filter.until}`);
  return clauses.length === 0 ? undefined : clauses.join(' and ');
}

export class TableJournal implements Journal {
  /** Set once the index-complete marker has been seen or written: a missing index row means "no run". */
  private indexComplete = false;

  /** @param table - lazily builds the client, e.g. `() => factory.tableClient(JOURNAL_TABLE)`. */
  constructor(table: () => Promise<TableClient>) {
    // A table this journal created holds no run written before the id index existed: mark its index
    // complete at once, so that reading an unknown run id never writes (no backfill scan, no marker).
    this.client = tableOnFirstUse(table, JOURNAL_TABLE, async (client) => {
      await client.upsertEntity({ partitionKey: INDEX_PARTITION, rowKey: INDEX_COMPLETE_KEY }, 'Replace');
    });
  }

  /** The client, with the table created on first use (see `tableOnFirstUse`). */
  private readonly client: () => Promise<TableClient>;

  /** `odata`, from the module `client()` loaded: looked up once, not one `import()` per query. */
  private async odata(): Promise<Odata> {
    odataTag ??= import('@azure/data-tables').then(
      ({ odata }) => odata as Odata,
      (error: unknown) => {
        odataTag = undefined;
        throw error;
      },
    );
    return odataTag;
  }

  async get(id: string, where?: RunWhere): Promise<{ run: RunRecord; etag: string } | undefined> {
    const client = await this.client();
    const key = escapeTableKey(id);
    try {
      const partition = where
        ? journalPartitionKey(where.vault, where.group)
        : ((await this.indexOf(client, key)) ?? (await this.backfilledIndexOf(client, key)));
      if (partition === undefined) return undefined;
      // A dangling index (its run insert failed) points at nothing: the run does not exist.
      const entity = await readEntity(client, partition, key);
      return entity && { run: fromEntity(entity), etag: entity.etag };
    } catch (error) {
      if (error instanceof RotationError) throw error;
      throw wrapAzureError(error, { action: `read run ${id}` });
    }
  }

  /** The run's PartitionKey from its index row (one point read), or undefined when it has none. */
  private async indexOf(client: TableClient, key: string): Promise<string | undefined> {
    const index = await readEntity(client, INDEX_PARTITION, key);
    return typeof index?.RunPartition === 'string' ? index.RunPartition : undefined;
  }

  /**
   * Runs written before the index existed have no index row. The first miss of a table (per instance:
   * once the marker is seen, misses are answered without a scan) scans the run rows once, writes the
   * missing index rows and then the marker; after that a missing index row means "no such run".
   */
  private async backfilledIndexOf(client: TableClient, key: string): Promise<string | undefined> {
    if (this.indexComplete) return undefined;
    if (await readEntity(client, INDEX_PARTITION, INDEX_COMPLETE_KEY)) {
      this.indexComplete = true;
      return undefined;
    }
    const odata = await this.odata();
    let batch: TransactionAction[] = [];
    const flush = async () => {
      if (batch.length > 0) await client.submitTransaction(batch);
      batch = [];
    };
    const rows = client.listEntities({
      queryOptions: { filter: odata`PartitionKey ne ${INDEX_PARTITION}`, select: ['PartitionKey', 'RowKey'] },
    });
    let found: string | undefined;
    for await (const row of rows) {
      if (row.partitionKey === undefined || row.rowKey === undefined) continue;
      if (row.rowKey === key) found = row.partitionKey;
      // All index rows share one partition, so up to 100 go in one entity-group transaction.
      batch.push(['upsert', indexEntity(row.rowKey, row.partitionKey), 'Replace']);
      if (batch.length === 100) await flush();
    }
    await flush();
    await client.upsertEntity({ partitionKey: INDEX_PARTITION, rowKey: INDEX_COMPLETE_KEY }, 'Replace');
    this.indexComplete = true;
    return found;
  }

  async create(run: RunRecord): Promise<{ etag: string }> {
    const entity = toEntity(run);
    const client = await this.client();
    await this.writeIndex(client, entity, run.id);
    try {
      const response = await client.createEntity(entity);
      return { etag: requireEtag(response.etag, run.id) };
    } catch (error) {
      if (azureStatusOf(error) === 409) throw runExists(run.id, azureCodeOf(error) ?? 'EntityAlreadyExists');
      throw wrapAzureError(error, { action: `create run ${run.id}` });
    }
  }

  /**
   * Writes the index row before the run (the two live in different partitions, so no transaction can
   * hold both). An index row that already names this partition is fine (a retried create, or a dangling
   * index from a failed one). One naming another partition whose run is missing is dangling: repointed.
   */
  private async writeIndex(client: TableClient, entity: RunEntity, id: string): Promise<void> {
    const index = indexEntity(entity.rowKey, entity.partitionKey);
    try {
      try {
        await client.createEntity(index);
        return;
      } catch (error) {
        if (azureStatusOf(error) !== 409) throw error;
      }
      const current = await readEntity(client, INDEX_PARTITION, entity.rowKey);
      if (current === undefined) return this.writeIndex(client, entity, id); // removed meanwhile
      if (current.RunPartition === entity.partitionKey) return;
      if (typeof current.RunPartition === 'string') {
        if (await readEntity(client, current.RunPartition, entity.rowKey))
          throw runExists(id, 'EntityAlreadyExists');
      }
      await client.updateEntity(index, 'Replace', { etag: current.etag });
    } catch (error) {
      if (error instanceof RotationError) throw error;
      if (azureStatusOf(error) === 412) throw runExists(id, 'UpdateConditionNotSatisfied');
      throw wrapAzureError(error, { action: `index run ${id}` });
    }
  }

  async replace(run: RunRecord, etag: string): Promise<{ etag: string }> {
    const entity = toEntity(run);
    const client = await this.client();
    try {
      const response = await client.updateEntity(entity, 'Replace', { etag });
      return { etag: requireEtag(response.etag, run.id) };
    } catch (error) {
      const status = azureStatusOf(error);
      // A retried write whose first attempt landed but whose answer was lost (timeout, reset) meets its
      // own new etag: the row already holds exactly this record, so the write succeeded.
      if (status === 412) {
        const landed = await this.landed(client, entity);
        if (landed) return { etag: landed };
      }
      // 412: stale etag; 404: the row is gone. Either way someone else changed it since we read it.
      if (status === 412 || status === 404) {
        throw new RotationError('RunInProgress', `run ${run.id} was changed by another worker`, {
          transient: true,
          cause: { status, code: azureCodeOf(error) ?? 'UpdateConditionNotSatisfied' },
        });
      }
      throw wrapAzureError(error, { action: `update run ${run.id}` });
    }
  }

  /** The row's etag when it holds exactly `entity`'s record (our own write landed), else undefined. */
  private async landed(client: TableClient, entity: RunEntity): Promise<string | undefined> {
    let stored: Record<string, unknown> & { etag: string };
    try {
      stored = await client.getEntity(entity.partitionKey, entity.rowKey);
    } catch (error) {
      if (azureStatusOf(error) === 404) return undefined;
      throw wrapAzureError(error, { action: `read run ${entity.rowKey} back after a conflict` });
    }
    const parts = Array.from({ length: Number(entity.RunParts) }, (_, i) => `Run${i}`);
    const same = stored.RunParts === entity.RunParts && parts.every((part) => stored[part] === entity[part]);
    return same ? stored.etag : undefined;
  }

  /**
   * Matching runs, oldest first (by `createdAt`, then id), like the in-memory fake. Table storage returns
   * rows in key order, so the matches are collected and sorted before the first is yielded.
   */
  async *list(filter: HistoryFilter): AsyncIterable<RunRecord> {
    const client = await this.client();
    const odata = await this.odata();
    const expression = historyFilterExpression(filter, odata);
    // Index rows are no runs: excluded by the query and, in case, by the loop.
    const notIndex = odata`PartitionKey ne ${INDEX_PARTITION}`;
    const runs: RunRecord[] = [];
    try {
      const rows = client.listEntities({
        queryOptions: { filter: expression === undefined ? notIndex : `${notIndex} and (${expression})` },
      });
      for await (const row of rows) {
        if (row.partitionKey === INDEX_PARTITION) continue;
        if (secretsMatch(row, filter.secret)) runs.push(fromEntity(row));
      }
    } catch (error) {
      throw wrapAzureError(error, { action: 'list runs' });
    }
    runs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    yield* runs;
  }

  async latestForGroup(vault: string, group: string): Promise<RunRecord | undefined> {
    const client = await this.client();
    const odata = await this.odata();
    const partitionKey = journalPartitionKey(vault, group);
    let latest: { rowKey: string; createdAt: number } | undefined;
    try {
      // Scan the group's partition for keys and dates only, then read the one record. A run partition
      // contains `|`, so this filter never meets the index partition.
      const rows = client.listEntities({
        queryOptions: { filter: odata`PartitionKey eq ${partitionKey}`, select: ['RowKey', 'CreatedAt'] },
      });
      for await (const row of rows) {
        const createdAt = timeOf(row.CreatedAt);
        const rowKey = row.rowKey ?? '';
        if (
          !latest ||
          createdAt > latest.createdAt ||
          (createdAt === latest.createdAt && rowKey > latest.rowKey)
        ) {
          latest = { rowKey, createdAt };
        }
      }
      if (!latest) return undefined;
      const entity = await client.getEntity(partitionKey, latest.rowKey);
      return fromEntity(entity);
    } catch (error) {
      if (error instanceof RotationError) throw error;
      if (azureStatusOf(error) === 404) return undefined; // deleted between the scan and the read
      throw wrapAzureError(error, { action: `read the latest run of group ${group} in vault ${vault}` });
    }
  }
}

function indexEntity(rowKey: string, runPartition: string) {
  return { partitionKey: INDEX_PARTITION, rowKey, RunPartition: runPartition };
}

/** One entity by point read; undefined on 404. */
async function readEntity(
  client: TableClient,
  partitionKey: string,
  rowKey: string,
): Promise<(Record<string, unknown> & { etag: string }) | undefined> {
  try {
    return await client.getEntity(partitionKey, rowKey);
  } catch (error) {
    if (azureStatusOf(error) === 404) return undefined;
    throw error;
  }
}

function runExists(id: string, code: string): RotationError {
  return new RotationError('RunInProgress', `run ${id} already exists`, {
    transient: true,
    cause: { status: 409, code },
  });
}

function timeOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  return typeof value === 'string' ? Date.parse(value) : Number.NaN;
}

function requireEtag(etag: string | undefined, id: string): string {
  if (!etag) throw new RotationError('InternalError', `table storage returned no etag for run ${id}`);
  return etag;
}
