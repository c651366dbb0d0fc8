/**
 * Azure Storage for the benchmark: Azurite, in a process of its own. In Azure, storage and Key Vault are
 * different services on different machines, so here a journal write does not share an event loop with the
 * emulator's Key Vault and ARM answers. (On this 2-core machine the medians did not move when this was split
 * out: the processes still share the cores.) The rotator's storage calls are counted in its own process
 * (`storage-recorder.ts`).
 *
 * Run by `fork()` with `--import tsx` (`forkSide`).
 */
import { startAzurite } from '../../local/azurite.js';
import { serveSide } from './side-process.js';

export type StorageSideRequest = { op: 'stop' };

export interface StorageSideInfo {
  connectionString: string;
}

async function main(): Promise<void> {
  const azurite = await startAzurite();
  const info: StorageSideInfo = { connectionString: azurite.connectionString };
  serveSide<StorageSideRequest>(
    info,
    async () => {
      await azurite.stop();
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
