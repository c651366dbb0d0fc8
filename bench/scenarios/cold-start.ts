/**
 * Item 5 of issue 11: how fast a cold Function starts. The entry point Azure runs is package.json `main`,
 * `dist/functions/index.cjs`: one CommonJS file that `npm run build` (`scripts/build.ts`, called here with
 * `bench/out/dist` as output) bundles from `functions/index.ts` with `@azure/functions` inside, beside the
 * tsc output the function modules load from on first invocation. It is loaded by plain `node` with every
 * function registered (`cold/worker-stub.cjs` stands in for the worker's `@azure/functions-core`). Each
 * sample starts fresh processes, interleaved, so the machine's noise hits every variant alike; medians are
 * reported. Also: what the first rotation of a cold process loads on first use, and the size of the
 * deployment package.
 */
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { build, ENTRY } from '../../scripts/build.js';
import { median } from '../support/stats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = path.join(ROOT, 'bench', 'out');
const DIST = path.join(OUT, 'dist');
const STUB = path.join(ROOT, 'bench', 'cold', 'worker-stub.cjs');
const FIRST_RUN = path.join(ROOT, 'bench', 'cold', 'first-run.mjs');

/** SDKs the first key-pair rotation with an App Service consumer loads in Azure (storage, Key Vault, ARM, identity). */
export const FIRST_RUN_SDKS = [
  '@azure/keyvault-secrets',
  '@azure/data-tables',
  '@azure/storage-blob',
  '@azure/storage-queue',
  '@azure/identity',
  '@azure/arm-cognitiveservices',
  '@azure/arm-appservice',
];
/** Every Azure SDK the rotator uses (what an eager entry point would load). */
export const ALL_SDKS = [...FIRST_RUN_SDKS, '@azure/arm-communication', '@azure/eventgrid'];

export type VariantKey = 'bare' | 'stub' | 'functions' | 'entry' | 'eager';

export interface Variant {
  key: VariantKey;
  name: string;
  args: string[];
}

export interface VariantResult {
  key: VariantKey;
  name: string;
  command: string;
  medianMs: number;
  ratio: number;
  maxRssMiB: number;
  registered: number;
}

export interface ColdStartResult {
  samples: number;
  buildMs: number;
  variants: VariantResult[];
  firstRun: { entryMs: number; firstRunMs: number; rssAfterEntryMiB: number; rssAfterFirstRunMiB: number };
  packageSize: PackageSize;
}

export interface PackageSize {
  distBytes: number;
  distFiles: number;
  nodeModulesBytes: number;
  nodeModulesFiles: number;
  packages: number;
  /** The heaviest production packages (name, bytes). */
  largest: { name: string; bytes: number }[];
  otherBytes: number;
  /** Every file deflated (what a zip of the package roughly weighs). */
  zippedBytes: number;
}

const run = promisify(execFile);

/** `npm run build` into bench/out/dist (tsc reports type errors of files in progress but still emits). */
export async function buildDist(): Promise<number> {
  const started = performance.now();
  await build({ outDir: DIST, tolerateTypeErrors: true });
  return performance.now() - started;
}

/**
 * Starts `node [--require worker-stub] ...args` and times it until it exits. Without the stub (the bare
 * baseline, exactly `node -e 0`) there is no report: its peak RSS comes from a run with the stub.
 */
function startOnce(
  args: string[],
  stub = true,
): Promise<{ ms: number; maxRssKb: number; registered: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, stub ? ['--require', STUB, ...args] : args, {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      const line = stderr.split('\n').find((l) => l.startsWith('BENCH '));
      if (code === 0 && !stub) {
        resolve({ ms, maxRssKb: Number.NaN, registered: 0 });
        return;
      }
      if (code !== 0 || !line) {
        reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr.slice(0, 500)}`));
        return;
      }
      const report = JSON.parse(line.slice(6)) as { maxRssKb: number; registered: number };
      resolve({ ms, ...report });
    });
  });
}

export function variants(dist = DIST): Variant[] {
  const entry = path.join(dist, ENTRY);
  const importAll = (names: string[]) =>
    `await import(${JSON.stringify(entry)});${names.map((n) => `await import(${JSON.stringify(n)});`).join('')}`;
  return [
    { key: 'bare', name: 'bare Node (`node -e 0`)', args: ['-e', '0'] },
    // What the worker stand-in itself costs (every row below carries it).
    { key: 'stub', name: 'bare Node with the worker stand-in', args: ['-e', '0'] },
    // The programming model library as it ships (its 190 KB webpack build, resolved from node_modules): what
    // an entry point that `require`s it pays at least. The bundled entry holds its own tree-shaken copy.
    { key: 'functions', name: '`@azure/functions` alone', args: ['-e', "require('@azure/functions')"] },
    { key: 'entry', name: 'Functions entry point, all functions registered', args: [entry] },
    {
      key: 'eager',
      name: 'entry point + every Azure SDK loaded eagerly (for comparison)',
      args: ['--input-type=module', '-e', importAll(ALL_SDKS)],
    },
  ];
}

async function sizeOf(dir: string, skip: (name: string) => boolean = () => false) {
  let bytes = 0;
  let files = 0;
  let zipped = 0;
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (skip(entry.name)) continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const size = statSync(full).size;
        bytes += size;
        files += 1;
        zipped += size === 0 ? 0 : deflateRawSync(readFileSync(full)).length;
      }
    }
  };
  walk(dir);
  return { bytes, files, zipped };
}

/** dist/ + the production dependencies (`npm ls --omit=dev`) + host.json + package.json. */
export async function packageSize(dist = DIST): Promise<PackageSize> {
  const distSize = await sizeOf(dist);
  const { stdout } = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  const dirs = [
    ...new Set(stdout.split('\n').filter((l) => l.includes(`${path.sep}node_modules${path.sep}`))),
  ];
  let nodeModulesBytes = 0;
  let nodeModulesFiles = 0;
  let zipped = distSize.zipped;
  const sizes: { name: string; bytes: number }[] = [];
  for (const dir of dirs) {
    // Nested node_modules are packages of their own in the listing: count each once.
    const size = await sizeOf(dir, (name) => name === 'node_modules');
    nodeModulesBytes += size.bytes;
    nodeModulesFiles += size.files;
    zipped += size.zipped;
    sizes.push({ name: dir.split(`${path.sep}node_modules${path.sep}`).at(-1)!, bytes: size.bytes });
  }
  let otherBytes = 0;
  for (const file of ['host.json', 'package.json']) {
    const content = readFileSync(path.join(ROOT, file));
    otherBytes += content.length;
    zipped += deflateRawSync(content).length;
  }
  return {
    distBytes: distSize.bytes,
    distFiles: distSize.files,
    nodeModulesBytes,
    nodeModulesFiles,
    packages: dirs.length,
    largest: sizes.sort((a, b) => b.bytes - a.bytes).slice(0, 4),
    otherBytes,
    zippedBytes: zipped,
  };
}

export async function runColdStart(options: {
  samples: number;
  log: (line: string) => void;
}): Promise<ColdStartResult> {
  const buildMs = await buildDist();
  options.log(`  built dist in ${(buildMs / 1000).toFixed(1)} s`);
  const list = variants();
  const times = list.map(() => [] as number[]);
  const rss = list.map(() => [] as number[]);
  const registered = list.map(() => 0);
  // One warm-up round (file cache), then interleaved samples.
  for (const variant of list) await startOnce(variant.args);
  for (let i = 0; i < options.samples; i++) {
    for (const [index, variant] of list.entries()) {
      const bare = variant.key === 'bare';
      const sample = await startOnce(variant.args, !bare);
      times[index]!.push(sample.ms);
      rss[index]!.push(bare ? (await startOnce(variant.args)).maxRssKb : sample.maxRssKb);
      registered[index] = sample.registered;
    }
  }
  const expected = (await import('../../functions/definitions.js')).functionDefinitions.length;
  const entryIndex = list.findIndex((v) => v.key === 'entry');
  if (registered[entryIndex] !== expected) {
    throw new Error(`the entry point registered ${registered[entryIndex]} functions, not ${expected}`);
  }
  const bare = median(times[0]!);
  const results = list.map((variant, index) => ({
    key: variant.key,
    name: variant.name,
    command: `node ${variant.args.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ')}`,
    medianMs: median(times[index]!),
    ratio: median(times[index]!) / bare,
    maxRssMiB: median(rss[index]!) / 1024,
    registered: registered[index]!,
  }));
  const firstRuns: {
    entryMs: number;
    firstRunMs: number;
    rssAfterEntry: number;
    rssAfterFirstRun: number;
  }[] = [];
  for (let i = 0; i < Math.max(3, Math.ceil(options.samples / 3)); i++) {
    const { stdout } = await run(process.execPath, ['--require', STUB, FIRST_RUN, DIST, ...FIRST_RUN_SDKS], {
      cwd: ROOT,
    });
    firstRuns.push(JSON.parse(stdout));
  }
  const packaged = await packageSize();
  return {
    samples: options.samples,
    buildMs,
    variants: results,
    firstRun: {
      entryMs: median(firstRuns.map((r) => r.entryMs)),
      firstRunMs: median(firstRuns.map((r) => r.firstRunMs)),
      rssAfterEntryMiB: median(firstRuns.map((r) => r.rssAfterEntry)) / 1048576,
      rssAfterFirstRunMiB: median(firstRuns.map((r) => r.rssAfterFirstRun)) / 1048576,
    },
    packageSize: packaged,
  };
}
