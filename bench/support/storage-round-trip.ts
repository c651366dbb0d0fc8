/**
 * How long one storage round trip takes here, straight to Azurite and through the counting proxy the
 * rotator's storage calls take in the benchmarks: what a sequential journal write or lease call costs in
 * "storage only" (section 2), and how much of that is the proxy's extra hop. Interleaved point reads of
 * one small entity, medians.
 */
import { TableClient } from '@azure/data-tables';

export interface StorageRoundTrip {
  samples: number;
  directMs: number;
  proxiedMs: number;
}

const TABLE = 'benchprobe';

export async function measureStorageRoundTrip(
  connections: { direct: string; proxied: string },
  samples = 41,
): Promise<StorageRoundTrip> {
  const options = { allowInsecureConnection: true };
  const direct = TableClient.fromConnectionString(connections.direct, TABLE, options);
  const proxied = TableClient.fromConnectionString(connections.proxied, TABLE, options);
  await direct.createTable();
  await direct.upsertEntity({ partitionKey: 'probe', rowKey: 'probe', at: new Date().toISOString() });
  const timed = async (client: TableClient) => {
    const started = performance.now();
    await client.getEntity('probe', 'probe');
    return performance.now() - started;
  };
  await timed(direct); // connections opened outside the samples
  await timed(proxied);
  const times = { direct: [] as number[], proxied: [] as number[] };
  for (let i = 0; i < samples; i++) {
    times.direct.push(await timed(direct));
    times.proxied.push(await timed(proxied));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { samples, directMs: median(times.direct), proxiedMs: median(times.proxied) };
}
