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
import type { TableClient } from '@azure/data-tables';
import { RotationError } from '../rotation/errors.js';
import type { HistoryFilter, Journal, RunRecord } from '../rotation/ports.js';
import { azureCodeOf, azureStatusOf, wrapAzureError } from './errors.js';

export const JOURNAL_TABLE = 'rotationruns';

/** Characters per `RunN` property: under the 32K-character (64 KiB) limit of a table string property. */
export const RUN_PART_CHARS = 30_000;
/** An entity holds at most 1 MiB (strings count as UTF-16): 15 parts of 30K characters is ~900 KB. */
const MAX_PARTS = 15;

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
  private ready: Promise<TableClient> | undefined;

  /** @param table - lazily builds the client, e.g. `() => factory.tableClient(JOURNAL_TABLE)`. */
  constructor(private readonly table: () => Promise<TableClient>) {}

  /** The client, with the table created on first use (once per instance; retried after a failure). */
  private client(): Promise<TableClient> {
    this.ready ??= (async () => {
      const client = await this.table();
      try {
        await client.createTable();
      } catch (error) {
        throw wrapAzureError(error, { action: `create table ${JOURNAL_TABLE}` });
      }
      return client;
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async odata(): Promise<Odata> {
    const { odata } = await import('@azure/data-tables');
    return odata as Odata;
  }

  async get(id: string): Promise<{ run: RunRecord; etag: string } | undefined> {
    const client = await this.client();
    const odata = await this.odata();
    try {
      // The id alone does not name the partition: a cross-partition point filter on RowKey.
      const rows = client.listEntities({ queryOptions: { filter: odata`RowKey eq ${escapeTableKey(id)}` } });
      for await (const entity of rows) return { run: fromEntity(entity), etag: entity.etag };
      return undefined;
    } catch (error) {
      throw wrapAzureError(error, { action: `read run ${id}` });
    }
  }

  async create(run: RunRecord): Promise<{ etag: string }> {
    const entity = toEntity(run);
    const client = await this.client();
    try {
      const response = await client.createEntity(entity);
      return { etag: requireEtag(response.etag, run.id) };
    } catch (error) {
      if (azureStatusOf(error) === 409) {
        throw new RotationError('RunInProgress', `run ${run.id} already exists`, {
          transient: true,
          cause: { status: 409, code: azureCodeOf(error) ?? 'EntityAlreadyExists' },
        });
      }
      throw wrapAzureError(error, { action: `create run ${run.id}` });
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
    const expression = historyFilterExpression(filter, await this.odata());
    const runs: RunRecord[] = [];
    try {
      const rows = client.listEntities(
        expression === undefined ? {} : { queryOptions: { filter: expression } },
      );
      for await (const row of rows) {
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
      // Scan the group's partition for keys and dates only, then read the one record.
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

function timeOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  return typeof value === 'string' ? Date.parse(value) : Number.NaN;
}

function requireEtag(etag: string | undefined, id: string): string {
  if (!etag) throw new RotationError('InternalError', `table storage returned no etag for run ${id}`);
  return etag;
}
