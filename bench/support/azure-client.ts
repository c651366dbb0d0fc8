/**
 * The benchmark's side of `azure-side.ts`: forks it and calls it over IPC. The rotator's storage calls are
 * counted here, in the rotator's process (`StorageRecorder`), and added to the side's call log before each
 * `mark` and `calls`, so the log holds every call made up to then.
 */
import { fileURLToPath } from 'node:url';
import type { AzureSideInfo, AzureSideOptions, Request, SeedItem } from './azure-side.js';
import { type Call, fromStorage } from './calls.js';
import { forkSide } from './side-process.js';
import { StorageRecorder } from './storage-recorder.js';

export interface AzureSide extends AzureSideInfo {
  setLatency(ms: number): Promise<void>;
  /** Position in the call log (pass to `calls`). */
  mark(): Promise<number>;
  calls(from: number, to?: number): Promise<Call[]>;
  /** Pauses or resumes recording (seeding thousands of secrets is not measured). */
  record(enabled: boolean): Promise<void>;
  subscribe(vault: string, url: string): Promise<void>;
  deliveriesIdle(): Promise<void>;
  seed(items: SeedItem[], concurrency?: number): Promise<number>;
  /** The current version of a secret, read by the observer (not the rotator's client). */
  version(vault: string, name: string): Promise<string>;
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./azure-side.ts', import.meta.url));

export async function startAzureSide(options: AzureSideOptions): Promise<AzureSide> {
  const { info, side } = await forkSide<Request, AzureSideInfo>(ENTRY, {
    BENCH_AZURE: JSON.stringify(options),
  });
  const call = side.call;
  const storage = new StorageRecorder(info.storageConnectionString);
  /** IPC keeps order: the side has the storage calls before it answers what follows. */
  const addStorage = () => {
    const calls = storage.drain().map(fromStorage);
    return calls.length > 0 ? call<void>({ op: 'add', calls }) : Promise.resolve();
  };
  return {
    ...info,
    setLatency: (ms) => call({ op: 'setLatency', ms }),
    mark: () => addStorage().then(() => call({ op: 'mark' })),
    calls: (from, to) =>
      addStorage().then(() => call({ op: 'calls', from, ...(to === undefined ? {} : { to }) })),
    record: (enabled) => call({ op: 'record', enabled }),
    subscribe: (vault, url) => call({ op: 'subscribe', vault, url }),
    deliveriesIdle: () => call({ op: 'deliveriesIdle' }),
    seed: (items, concurrency) => call({ op: 'seed', items, ...(concurrency ? { concurrency } : {}) }),
    version: (vault, name) => call({ op: 'version', vault, name }),
    stop: () => {
      storage.stop();
      return side.stop({ op: 'stop' });
    },
  };
}
