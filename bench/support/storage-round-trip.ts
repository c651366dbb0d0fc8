/**
 * How long one storage round trip takes here, hot: what a sequential journal write or lease call costs at
 * best in "storage only" (section 2). Back-to-back point reads of one small entity, the median.
 */
import { TableClient } from '@azure/data-tables';
import { median } from './stats.js';

export interface StorageRoundTrip {
  samples: number;
  medianMs: number;
}

const TABLE = 'benchprobe';

export async function measureStorageRoundTrip(
  connectionString: string,
  samples = 41,
): Promise<StorageRoundTrip> {
  const client = TableClient.fromConnectionString(connectionString, TABLE, { allowInsecureConnection: true });
  await client.createTable();
  await client.upsertEntity({ partitionKey: 'probe', rowKey: 'probe', at: new Date().toISOString() });
  const timed = async () => {
    const started = performance.now();
    await client.getEntity('probe', 'probe');
    return performance.now() - started;
  };
  await timed(); // the connection is opened outside the samples
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await timed());
  return { samples, medianMs: median(times) };
}
