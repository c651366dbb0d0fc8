/**
 * `npm run build` (and the cold-start benchmark, which builds with this very function): the deployment's
 * `dist/`.
 *
 * 1. `tsc -p tsconfig.build.json`: every module as ES module files (`dist/functions/*.js`, the engine, the
 *    adapters…). These load on first use, from the SDKs in `node_modules`.
 * 2. esbuild: the Azure entry point `functions/index.ts` (package.json `main`) as one CommonJS file,
 *    `dist/functions/index.cjs`, holding the manifest, the registration code and `@azure/functions` with its
 *    two small dependencies, tree-shaken and minified. Why (figures from `npm run bench`, Node 20): an ES
 *    module entry costs the ESM loader on every cold start (~8 ms, a quarter of a bare `node -e 0` here);
 *    `@azure/functions` ships one 190 KB webpack bundle evaluating all of its modules, resolved from
 *    `node_modules` in several steps. The Functions worker `require`s a `.cjs` main even when package.json
 *    says `"type": "module"` (azure-functions-nodejs-worker `isESModule`).
 *
 * What stays out of the entry: `@azure/functions-core` (the worker provides it), and every `import()` of
 * `manifest.ts` — the function modules load from the tsc output with their first invocation, as before.
 * `@azure/functions` is compiled from the TypeScript sources its package ships (`src/`, the same version as
 * its `dist/`), with its own class-field semantics (`useDefineForClassFields: false`, as its build emits).
 * Inside it, what registration does not use is required on first call instead of at load (`LAZY_IMPORTS`):
 * the modules of HTTP streaming, and `node:crypto`.
 *
 * Usage: `tsx scripts/build.ts [--outDir dir]`.
 */
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const require = createRequire(import.meta.url);

/** The entry Azure loads (package.json `main`), relative to the output directory's parent. */
export const ENTRY = 'functions/index.cjs';

export interface BuildResult {
  outDir: string;
  /** Absolute path of the bundled entry point. */
  entry: string;
  tscMs: number;
  bundleMs: number;
  /** tsc's report when it found type errors and `tolerateTypeErrors` let the build go on (tsc still emits). */
  typeErrors?: string;
}

/**
 * Modules `@azure/functions` imports at load that registration does not use, by the library file that
 * imports them, with the names it uses. Each becomes a module whose functions `require` the real one on
 * first call. Any other name is a build error (`import-is-undefined`), so a library update cannot slip past.
 *
 * - `src/http/httpProxy.ts`: `node:http`, `node:net` and `cookie` serve HTTP streaming only (set up when
 *   `enableHttpStream` is on, which it is not here).
 * - `src/utils/getRandomHexString.ts`: `node:crypto` hashes a binding's JSON into its name when the
 *   binding has none; `registerFunctions` names every binding, so it is never called at registration
 *   (loading `node:crypto` was about a third of the entry's cold start over bare Node, `npm run bench`).
 */
const LAZY_IMPORTS: Record<string, Record<string, string[]>> = {
  [path.join('src', 'http', 'httpProxy.ts')]: {
    http: ['createServer'],
    net: ['createServer'],
    cookie: ['serialize'],
  },
  [path.join('src', 'utils', 'getRandomHexString.ts')]: { crypto: ['createHash', 'randomBytes'] },
};

/** Every specifier `LAZY_IMPORTS` names, as the filter esbuild resolves them with. */
const LAZY_SPECIFIERS = new RegExp(
  `^(${[...new Set(Object.values(LAZY_IMPORTS).flatMap((modules) => Object.keys(modules)))].join('|')})$`,
);

/** The names a library file imports from `specifier`, when that import is made lazy. */
function lazyNames(importer: string, specifier: string): string[] | undefined {
  for (const [file, modules] of Object.entries(LAZY_IMPORTS)) {
    if (importer.endsWith(file)) return modules[specifier];
  }
  return undefined;
}

function lazyModule(specifier: string, names: string[]): string {
  const real = specifier === 'cookie' ? 'cookie' : `node:${specifier}`;
  return [
    'let loaded;',
    `const load = () => (loaded ??= require(${JSON.stringify(real)}));`,
    ...names.map((name) => `export function ${name}(...args) { return load().${name}(...args); }`),
  ].join('\n');
}

/**
 * Where the bundle takes `@azure/functions` from: `source` (what ships: its `src/`, tree-shaken) or
 * `shipped` (its webpack build from `dist/`, as `require` would load it; ~0.3× bare Node slower to start).
 * The tests build both and compare what they hand the worker.
 */
export type AzureFunctionsFrom = 'source' | 'shipped';

const entryPlugins = (from: AzureFunctionsFrom): esbuild.Plugin[] => [
  {
    // `import('./rotationWorker.js')` etc. in manifest.ts: left as runtime imports of the tsc output.
    name: 'function-modules-on-first-use',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        if (!/^\.\/[\w-]+\.js$/.test(args.path)) {
          return { errors: [{ text: `lazy import "${args.path}" must be a sibling module ('./name.js')` }] };
        }
        return { path: args.path, external: true };
      });
    },
  },
  {
    name: 'azure-functions-from-source',
    setup(build) {
      if (from === 'shipped') return;
      const pkg = path.dirname(require.resolve('@azure/functions/package.json'));
      // Its package.json `main` (the CommonJS build); the `import` condition would pick an .mjs whose
      // exports esbuild cannot match with `src/`'s named imports.
      const extensionsBase = createRequire(path.join(pkg, 'package.json')).resolve(
        '@azure/functions-extensions-base',
      );
      build.onResolve({ filter: /^@azure\/functions$/ }, () => ({ path: path.join(pkg, 'src', 'index.ts') }));
      build.onResolve({ filter: /^@azure\/functions-extensions-base$/ }, () => ({ path: extensionsBase }));
      build.onResolve({ filter: LAZY_SPECIFIERS }, (args) => {
        const names = lazyNames(args.importer, args.path);
        return names ? { path: args.path, namespace: 'lazy', pluginData: names } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
        contents: lazyModule(args.path, args.pluginData as string[]),
        loader: 'js',
        resolveDir: pkg,
      }));
    },
  },
];

/** Bundles `functions/index.ts` into `<outDir>/functions/index.cjs` (the function modules must be built there). */
export async function bundleEntry(
  outDir: string,
  options: { outfile?: string; azureFunctions?: AzureFunctionsFrom } = {},
): Promise<esbuild.Metafile> {
  const outfile = path.join(outDir, options.outfile ?? ENTRY);
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, 'functions', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: ['@azure/functions-core'],
    plugins: entryPlugins(options.azureFunctions ?? 'source'),
    // @azure/functions is compiled with assignment semantics for class fields (what its own build emits);
    // the project's few files in the entry do not depend on either.
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
    logLevel: 'silent',
    logOverride: { 'import-is-undefined': 'error' },
    metafile: true,
  });
  const problems = [...result.errors, ...result.warnings].map((m) => m.text);
  if (problems.length > 0) throw new Error(`bundling the entry point:\n- ${problems.join('\n- ')}`);
  // Every function module the manifest loads on first use must be in the tsc output beside the entry.
  const missing = Object.values(result.metafile.outputs)
    .flatMap((output) => output.imports)
    .filter((i) => i.kind === 'dynamic-import' && !existsSync(path.join(outDir, 'functions', i.path)))
    .map((i) => i.path);
  if (missing.length > 0)
    throw new Error(`the entry point loads modules the build lacks: ${missing.join(', ')}`);
  return result.metafile;
}

/** Both steps into `outDir` (emptied first). */
export async function build(
  options: { outDir?: string; tolerateTypeErrors?: boolean } = {},
): Promise<BuildResult> {
  const outDir = path.resolve(ROOT, options.outDir ?? 'dist');
  rmSync(outDir, { recursive: true, force: true });
  const started = performance.now();
  let typeErrors: string | undefined;
  const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string; message: string }) => {
    typeErrors = error.stdout || error.message;
    if (!options.tolerateTypeErrors) throw new Error(`tsc -p tsconfig.build.json failed:\n${typeErrors}`);
  });
  const tscMs = performance.now() - started;
  await bundleEntry(outDir);
  return {
    outDir,
    entry: path.join(outDir, ENTRY),
    tscMs,
    bundleMs: performance.now() - started - tscMs,
    ...(typeErrors === undefined ? {} : { typeErrors }),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const flag = process.argv.indexOf('--outDir');
  const outDir = flag >= 0 ? process.argv[flag + 1] : undefined;
  build(outDir === undefined ? {} : { outDir }).then(
    (result) => {
      process.stdout.write(
        `built ${path.relative(ROOT, result.outDir)}/ (tsc ${(result.tscMs / 1000).toFixed(1)} s) and ${path.relative(ROOT, result.entry)} (esbuild ${result.bundleMs.toFixed(0)} ms)\n`,
      );
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
