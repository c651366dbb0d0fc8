/**
 * A part of the benchmark's "Azure" in a process of its own (forked with `--import tsx`), driven over IPC:
 * numbered requests answered by id, and events the child sends on its own (anything without an id).
 * `serveSide` is the child's half.
 */
import { type ChildProcess, fork } from 'node:child_process';

export interface SideProcess<Request> {
  call<T>(request: Request): Promise<T>;
  /** Sends `stop`, waits for the child to exit (it is killed after 3 s). */
  stop(stopRequest: Request): Promise<void>;
}

interface Answer {
  id?: number;
  ok?: boolean;
  value?: unknown;
  error?: string;
  ready?: unknown;
}

/**
 * Forks `entry` and waits for its `{ ready }` message. `BENCH_PROFILE_AZURE=<dir>` writes a CPU profile of
 * the child (to see where "Azure" spends its time).
 */
export async function forkSide<Request, Info>(
  entry: string,
  env: Record<string, string>,
  onEvent: (message: unknown) => void = () => {},
): Promise<{ info: Info; side: SideProcess<Request> }> {
  const child: ChildProcess = fork(entry, [], {
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_PROFILE_AZURE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_AZURE}`]
        : []),
    ],
    env: { ...process.env, ...env },
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const info = await new Promise<Info>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${entry} exited (${code}) before it was ready`)));
    child.on('message', (message: Answer) => {
      if (message.ready !== undefined) {
        resolve(message.ready as Info);
        return;
      }
      if (message.id === undefined) {
        onEvent(message);
        return;
      }
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(message.error ?? `${entry} failed`));
    });
  });
  child.removeAllListeners('exit');
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`${entry} exited (${code})`));
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
    info,
    side: {
      call,
      async stop(stopRequest) {
        if (stopped) return;
        stopped = true;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        try {
          await call(stopRequest);
          // It exits by itself once everything is closed; give it a moment before insisting.
          await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3_000).unref())]);
        } finally {
          if (child.exitCode === null && child.signalCode === null) child.kill();
          await exited;
        }
      },
    },
  };
}

/**
 * The child's half: answers each `{ id, request }` with `handle`'s result, sends `{ ready: info }` once,
 * and disconnects after answering the request `isStop` names.
 */
export function serveSide<Request>(
  info: unknown,
  handle: (request: Request) => Promise<unknown>,
  isStop: (request: Request) => boolean,
): void {
  process.on('message', (message: { id: number; request: Request }) => {
    handle(message.request).then(
      (value) => {
        process.send?.({ id: message.id, ok: true, value });
        if (isStop(message.request)) process.disconnect();
      },
      (error: unknown) =>
        process.send?.({
          id: message.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  });
  process.send?.({ ready: info });
}
