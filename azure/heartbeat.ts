/**
 * `HeartbeatStore` over Azure Table storage (table `rotationsweeps`): one entity per sweep, PartitionKey
 * `sweep`, RowKey the inverted finish time plus the sweep id, so the newest row is the first the table
 * returns and `latest()` reads one entity. The heartbeat holds names, counts and error codes — no values.
 */
import type { TableClient } from '@azure/data-tables';
import { RotationError } from '../rotation/errors.js';
import type { HeartbeatStore, SweepHeartbeat } from '../rotation/ports.js';
import { wrapAzureError } from './errors.js';
import { tableOnFirstUse } from './table-ready.js';

export const HEARTBEAT_TABLE = 'rotationsweeps';
const PARTITION = 'sweep';
/** Larger than any millisecond timestamp until the year 2286. */
const MAX_TIME = 9_999_999_999_999;
/** A table string property holds at most 32K characters. */
const MAX_JSON = 30_000;

export function heartbeatRowKey(beat: Pick<SweepHeartbeat, 'finishedAt' | 'id'>): string {
  const inverted = String(MAX_TIME - Date.parse(beat.finishedAt)).padStart(13, '0');
  return `${inverted}-${beat.id.replace(/[^A-Za-z0-9:.-]/g, '_')}`;
}

/** Keeps the JSON under a table property's limit by dropping problems from the end. */
function encode(beat: SweepHeartbeat): string {
  let copy = beat;
  let json = JSON.stringify(copy);
  while (json.length > MAX_JSON && copy.problems.length > 0) {
    copy = { ...copy, problems: copy.problems.slice(0, Math.floor(copy.problems.length / 2)) };
    json = JSON.stringify(copy);
  }
  return json;
}

export class TableHeartbeatStore implements HeartbeatStore {
  /** @param table - lazily builds the client, e.g. `() => factory.tableClient(HEARTBEAT_TABLE)`. */
  constructor(table: () => Promise<TableClient>) {
    this.client = tableOnFirstUse(table, HEARTBEAT_TABLE);
  }

  /** The client, with the table created on first use (see `tableOnFirstUse`). */
  private readonly client: () => Promise<TableClient>;

  async record(beat: SweepHeartbeat): Promise<void> {
    const client = await this.client();
    try {
      await client.upsertEntity(
        {
          partitionKey: PARTITION,
          rowKey: heartbeatRowKey(beat),
          Outcome: beat.outcome,
          Trigger: beat.trigger,
          StartedAt: new Date(beat.startedAt),
          FinishedAt: new Date(beat.finishedAt),
          Beat: encode(beat),
        },
        'Replace',
      );
    } catch (error) {
      throw wrapAzureError(error, { action: 'write the sweep heartbeat' });
    }
  }

  async latest(): Promise<SweepHeartbeat | undefined> {
    const client = await this.client();
    const { odata } = await import('@azure/data-tables');
    try {
      const pages = client
        .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION}` } })
        .byPage({ maxPageSize: 1 });
      for await (const page of pages) {
        const entity = page[0];
        if (entity) return decode(entity.Beat, entity.rowKey);
        if (!page.continuationToken) return undefined;
      }
      return undefined;
    } catch (error) {
      if (error instanceof RotationError) throw error;
      throw wrapAzureError(error, { action: 'read the last sweep heartbeat' });
    }
  }
}

function decode(value: unknown, rowKey: string | undefined): SweepHeartbeat {
  try {
    if (typeof value !== 'string') throw new Error('missing');
    const beat = JSON.parse(value) as SweepHeartbeat;
    if (typeof beat.finishedAt !== 'string' || typeof beat.id !== 'string') throw new Error('shape');
    return beat;
  } catch {
    throw new RotationError('InternalError', `heartbeat row ${rowKey ?? '?'} holds no valid heartbeat`);
  }
}
