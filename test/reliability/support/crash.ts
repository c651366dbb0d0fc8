/**
 * Child-process workers for the crash-resume test: spawned with tsx and the e2e network guard (any
 * non-loopback connection is refused and reported), built ahead of time so a case only waits for `go`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunPhase } from '../../../rotation/kinds.js';
import type { WorkerProcessSpec } from './stack.js';

export type CrashPlan =
  | {
      point: 'journal';
      phase: RunPhase;
      when: 'after-write' | 'before-write';
      action: 'kill' | 'stall';
      /**
       * A stall only: the group lease's next renewal reaches storage before the stall, and the worker
       * reads its answer only after it (an answer left in a socket while the process is frozen).
       */
      renewal?: 'answer-read-after-stall';
    }
  | { point: 'kv-set'; count: number; action: 'kill' | 'stall' };

export interface WorkerChildSpec extends WorkerProcessSpec {
  crash: CrashPlan;
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./worker-child.ts', import.meta.url));
const GUARD = fileURLToPath(new URL('../../e2e/support/guard.ts', import.meta.url));

export interface WorkerChild {
  pid: number;
  output(): string;
  /** Resolves when the child printed a line matching `pattern`; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  send(word: 'go' | 'continue'): void;
  /** Freezes the whole process (SIGSTOP: no timer, no lease or message renewal runs) / thaws it. */
  freeze(): void;
  thaw(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (cleanup). */
  kill(): void;
}

export function spawnWorker(spec: WorkerChildSpec): WorkerChild {
  const env: Record<string, string | undefined> = {
    ...process.env,
    RELIABILITY_WORKER: JSON.stringify(spec),
  };
  delete env.NODE_OPTIONS;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', '--import', GUARD, CHILD], {
    cwd: REPO_ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not spawn the worker');
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  child.stdin!.on('error', () => undefined);
  return {
    pid: child.pid,
    output: () => out,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
          const match = pattern.exec(out);
          if (match) resolve(match[0]);
          else if (done) reject(new Error(`worker exited before ${pattern}:\n${out.slice(-4000)}`));
          else if (Date.now() - started > timeoutMs) {
            reject(new Error(`worker did not print ${pattern} in ${timeoutMs} ms:\n${out.slice(-4000)}`));
          } else setTimeout(tick, 25);
        };
        tick();
      });
    },
    send(word) {
      child.stdin!.write(`${word}\n`);
    },
    freeze() {
      if (!done) child.kill('SIGSTOP');
    },
    thaw() {
      if (!done) child.kill('SIGCONT');
    },
    exited,
    kill() {
      if (!done) {
        child.kill('SIGKILL');
        child.kill('SIGCONT');
      }
    },
  };
}
