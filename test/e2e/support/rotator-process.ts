/**
 * Runs `npm start` (`node --import tsx local/start.ts`) as a child in its own process group, with the
 * network guard preloaded, and collects what it prints.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GUARD = fileURLToPath(new URL('./guard.ts', import.meta.url));

/** Settings of the developer's shell that would change what `npm start` does; tests set their own. */
const INHERITED_OUT = [
  'AzureWebJobsStorage',
  'AzureWebJobsStorage__accountName',
  'ROTATION_CONFIG',
  'LOCAL_EMULATOR',
  'LOCAL_STATE_DIR',
  'FUNCTION_KEY',
  'AZURITE_PERSIST',
  'PORT',
  'NODE_OPTIONS',
];

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RotatorProcess {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout matches; rejects on exit or timeout (with what was printed). */
  waitForStdout(pattern: RegExp, timeoutMs: number): Promise<void>;
  exited: Promise<Exit>;
  /** SIGKILLs the whole process group if it is still there (cleanup after a failed test). */
  killGroup(): void;
}

export function startRotator(env: Record<string, string>): RotatorProcess {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const name of INHERITED_OUT) delete base[name];
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', GUARD, 'local/start.ts'], {
    cwd: REPO_ROOT,
    env: { ...base, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not spawn npm start');
  const pid = child.pid;
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });

  return {
    child,
    pid,
    stdout: () => out,
    stderr: () => err,
    waitForStdout(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
          if (pattern.test(out)) resolve();
          else if (done) reject(new Error(`npm start exited early.\nstdout:\n${out}\nstderr:\n${err}`));
          else if (Date.now() - started > timeoutMs) {
            reject(
              new Error(
                `npm start did not print ${pattern} in ${timeoutMs} ms.\nstdout:\n${out}\nstderr:\n${err}`,
              ),
            );
          } else setTimeout(tick, 50);
        };
        tick();
      });
    },
    exited,
    killGroup() {
      if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    },
  };
}

/**
 * Live (non-zombie) processes of the group `pgid`, from /proc. Zombies are ignored: they hold no port and
 * no memory, and in a container whose PID 1 does not reap, an orphan's zombie (esbuild's, here) stays.
 */
export function groupMembers(pgid: number): { pid: number; state: string; command: string }[] {
  const members: { pid: number; state: string; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // Gone between readdir and read.
    }
    // `pid (comm) state ppid pgrp …`; comm may contain spaces and parentheses.
    const close = stat.lastIndexOf(')');
    const [state, , pgrp] = stat.slice(close + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') {
      members.push({
        pid: Number(entry),
        state: state ?? '?',
        command: stat.slice(stat.indexOf('(') + 1, close),
      });
    }
  }
  return members;
}

/** True while a live process of the group `pgid` exists. */
export function groupAlive(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
}
