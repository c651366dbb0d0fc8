/**
 * `npm run bench`: measures the rotator against the emulator with 50 ms injected per Azure call (issue 11)
 * and writes `bench/results.md`. Runs every scenario in one process, one after the other, and stops
 * everything it started. `--only=calls,sweep,rotate,cold` runs some scenarios and prints them without
 * writing results.md (which must come from one complete run).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { type BenchResults, renderResults, summaryRows } from './report.js';
import { runColdStart } from './scenarios/cold-start.js';
import { runPerRotation } from './scenarios/per-rotation.js';
import { runRotateAll } from './scenarios/rotate-all.js';
import { runSweep } from './scenarios/sweep.js';

const LATENCY_MS = 50;
const RESULTS = fileURLToPath(new URL('./results.md', import.meta.url));
const SCENARIOS = ['cold', 'calls', 'sweep', 'rotate'] as const;

function environment(): string[] {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch (error) {
    commit = `unknown (${error instanceof Error ? error.message.split('\n')[0] : 'git failed'})`;
  }
  return [
    `Node ${process.version} on ${os.type()} ${os.release()} (${os.arch()}), ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; load average at start ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    `commit ${commit}`,
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n');
}

/** `BENCH_ROUNDS`: how many key-pair rotations the overhead's median is taken over (default 15). */
function roundsFromEnv(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 15;
  const rounds = Number(raw);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 500) {
    throw new Error(`BENCH_ROUNDS must be a whole number from 1 to 500 (got '${raw}')`);
  }
  return rounds;
}

async function main(): Promise<void> {
  const only = process.argv
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',')
    .filter(Boolean);
  const wanted = (name: (typeof SCENARIOS)[number]) => !only || only.includes(name);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const startedAt = new Date();
  const env = environment();
  log(`npm run bench — ${env.join('; ')}`);

  const results: Partial<BenchResults> = {};
  if (wanted('cold')) {
    log('5. cold start');
    results.coldStart = await runColdStart({ samples: 15, log });
  }
  if (wanted('calls')) {
    log('1-2. calls per rotation and engine overhead');
    results.perRotation = await runPerRotation({
      latencyMs: LATENCY_MS,
      rounds: roundsFromEnv(process.env.BENCH_ROUNDS),
      log,
    });
  }
  if (wanted('sweep')) {
    log('4. inventory and sweep over 10,000 secrets');
    results.sweep = await runSweep({ secrets: 10_000, latencyMs: LATENCY_MS, log });
  }
  if (wanted('rotate')) {
    log('3. rotate everything');
    results.rotateAll = await runRotateAll({ sizes: [100, 1000], latencyMs: LATENCY_MS, log });
  }
  if (only) {
    log(
      JSON.stringify(
        results,
        (key, value) => (key === 'worker' || key === 'trigger' || key === 'after' ? undefined : value),
        1,
      ),
    );
    return;
  }
  const complete: BenchResults = {
    command: 'npm run bench',
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
    environment: env,
    perRotation: results.perRotation!,
    rotateAll: results.rotateAll!,
    sweep: results.sweep!,
    coldStart: results.coldStart!,
  };
  writeFileSync(RESULTS, renderResults(complete));
  log('');
  log(table([['#', 'what', 'measured', 'target'], ...summaryRows(complete)]));
  log('');
  log(`written to ${RESULTS} in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `npm run bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
