/** The benchmark's side of `azure-side.ts`: forks it and calls it over IPC. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AzureSideInfo, AzureSideOptions, Request, SeedItem } from './azure-side.js';
import type { Call } from './calls.js';

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
  const child: ChildProcess = fork(ENTRY, [], {
    // BENCH_PROFILE_AZURE=<dir>: a CPU profile of "Azure" (to see where the emulator spends its time).
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_PROFILE_AZURE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_AZURE}`]
        : []),
    ],
    env: { ...process.env, BENCH_AZURE: JSON.stringify(options) },
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const info = await new Promise<AzureSideInfo>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`the bench azure side exited (${code}) before it was ready`)),
    );
    child.on(
      'message',
      (message: { ready?: AzureSideInfo; id?: number; ok?: boolean; value?: unknown; error?: string }) => {
        if (message.ready) {
          resolve(message.ready);
          return;
        }
        const waiter = message.id === undefined ? undefined : pending.get(message.id);
        if (!waiter) return;
        pending.delete(message.id!);
        if (message.ok) waiter.resolve(message.value);
        else waiter.reject(new Error(message.error ?? 'azure side failed'));
      },
    );
  });
  child.removeAllListeners('exit');
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`the bench azure side exited (${code})`));
    pending.clear();
  });
  const call = <T>(request: Request): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, request });
    });
  let stopped = false;
  return {
    ...info,
    setLatency: (ms) => call({ op: 'setLatency', ms }),
    mark: () => call({ op: 'mark' }),
    calls: (from, to) => call({ op: 'calls', from, ...(to === undefined ? {} : { to }) }),
    record: (enabled) => call({ op: 'record', enabled }),
    subscribe: (vault, url) => call({ op: 'subscribe', vault, url }),
    deliveriesIdle: () => call({ op: 'deliveriesIdle' }),
    seed: (items, concurrency) => call({ op: 'seed', items, ...(concurrency ? { concurrency } : {}) }),
    version: (vault, name) => call({ op: 'version', vault, name }),
    async stop() {
      if (stopped) return;
      stopped = true;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        await call({ op: 'stop' });
        // It exits by itself once everything is closed; give it a moment before insisting.
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3_000).unref())]);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill();
        await exited;
      }
    },
  };
}
