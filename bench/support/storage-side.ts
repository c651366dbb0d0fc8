/**
 * Azure Storage for the benchmark, in a process of its own: Azurite behind the counting proxy. In Azure,
 * storage and Key Vault are different services on different machines, so here a journal write no longer
 * shares an event loop with the emulator's Key Vault and ARM answers. (On this 2-core machine the medians
 * did not move when this was split out: the processes still share the cores.)
 *
 * Each storage call is sent to the parent (`azure-side.ts`) as it completes, in batches (`{ calls }`,
 * at most every 20 ms); `flush` sends what is pending before it answers, so a parent that asks for
 * `flush` then has every call made before it.
 *
 * Run by `fork()` with `--import tsx` (`forkSide`).
 */
import { startAzurite } from '../../local/azurite.js';
import { serveSide } from './side-process.js';
import { type StorageCall, startStorageProxy } from './storage-proxy.js';

export type StorageSideRequest = { op: 'flush' } | { op: 'stop' };

export interface StorageSideInfo {
  /** Azurite through the counting proxy. */
  proxied: string;
  /** Azurite directly. */
  direct: string;
}

/** What the storage side sends on its own: the calls completed since the last batch. */
export interface StorageCallBatch {
  calls: StorageCall[];
}

async function main(): Promise<void> {
  const azurite = await startAzurite();
  let batch: StorageCall[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (batch.length === 0) return;
    const message: StorageCallBatch = { calls: batch };
    batch = [];
    process.send?.(message);
  };
  const proxy = await startStorageProxy(azurite.connectionString, (call) => {
    batch.push(call);
    timer ??= setTimeout(flush, 20);
  });
  const info: StorageSideInfo = { proxied: proxy.connectionString, direct: azurite.connectionString };
  serveSide<StorageSideRequest>(
    info,
    async (request) => {
      flush();
      if (request.op === 'stop') {
        await proxy.stop();
        await azurite.stop();
      }
      return undefined;
    },
    (request) => request.op === 'stop',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench storage side failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
