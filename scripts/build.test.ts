/**
 * The deployed entry point (`dist/functions/index.cjs`, bundled by `scripts/build.ts`) registers every
 * function of `definitions.ts`, handing the worker exactly the metadata `@azure/functions` as shipped
 * (its webpack build in node_modules) hands it for the same source, and loads no file but itself.
 * Both run in fresh processes under the cold-start benchmark's worker stand-in.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionDefinitions } from '../functions/definitions.js';
import { bundleEntry, ENTRY } from './build.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STUB = path.join(ROOT, 'bench', 'cold', 'worker-stub.cjs');

interface StubReport {
  registered: number;
  names: string[];
  metadata: { name: string; bindings: Record<string, Record<string, unknown>> }[];
  files: string[];
  builtins: string[];
}

/** Runs `node --require worker-stub …args` and returns what the stand-in saw. */
async function underWorkerStub(args: string[]): Promise<StubReport> {
  const { stderr } = await promisify(execFile)(process.execPath, ['--require', STUB, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', BENCH_STUB_DETAIL: '1' },
    timeout: 20_000,
  });
  const line = stderr.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`no report from the worker stand-in:\n${stderr}`);
  return JSON.parse(line.slice(6)) as StubReport;
}

/**
 * Loads an entry under the worker stand-in, then invokes four functions the way the worker does (the
 * programming model's invocation model, from RPC-shaped input to RPC response); prints what each handler
 * saw and the response.
 */
const INVOKE = `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
require(process.argv[2]);
const core = require('@azure/functions-core');
await core.programmingModel.getCapabilities({});
const http = { http: { method: 'GET', url: 'http://127.0.0.1:7071/api/runs/r1?x=yes',
  headers: { 'x-functions-key': 'k', 'user-agent': 'test' }, query: { x: 'yes' }, params: { id: 'r1' } } };
const inputs = {
  getRun: http,
  rotationWorker: { json: JSON.stringify({ vault: 'v1', group: 'g1' }) },
  keyVaultEvents: { json: JSON.stringify({ id: 'e1', eventType: 'Microsoft.KeyVault.SecretNearExpiry', subject: 's1', data: { Id: 'x' } }) },
  dailySweep: { json: JSON.stringify({ Schedule: { AdjustForDST: true }, IsPastDue: false }) },
};
const out = {};
for (const [name, data] of Object.entries(inputs)) {
  const metadata = core.metadata.find((m) => m.name === name);
  const trigger = Object.entries(metadata.bindings).find(([, b]) => b.direction === 'in')[0];
  const model = core.programmingModel.getInvocationModel({ invocationId: 'i-' + name, metadata,
    request: { inputData: [{ name: trigger, data }], triggerMetadata: {} }, log() {} });
  const { context, inputs: args } = await model.getArguments();
  const result = await model.invokeFunction(context, args, core.callbacks.get(name));
  const response = await model.getResponse(context, result);
  out[name] = { seen: globalThis.seen, response };
}
process.stdout.write(JSON.stringify(out));
`;

let dir: string;
let entry: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kvr-entry-'));
  // The function modules the manifest loads on first use: the build checks that they exist beside the entry.
  mkdirSync(path.join(dir, 'functions'));
  const manifest = readFileSync(path.join(ROOT, 'functions', 'manifest.ts'), 'utf8');
  for (const [, file] of manifest.matchAll(/import\('\.\/([\w-]+\.js)'\)/g)) {
    writeFileSync(path.join(dir, 'functions', file!), 'export {};\n');
  }
  // What the manifest's first invocations load, recording what the library handed them.
  const record = (fn: string, params: string, seen: string, answer = '') =>
    `export const ${fn} = { handler: async (${params}) => { globalThis.seen = ${seen};${answer} } };\n`;
  writeFileSync(
    path.join(dir, 'functions', 'getRun.js'),
    record(
      'getRunFunction',
      'request, context',
      "{ id: request.params.id, query: request.query.get('x'), hasKey: request.headers.get('x-functions-key') !== null, method: request.method, url: request.url, fn: context.functionName }",
      " return { status: 202, headers: { location: '/api/runs/r1' }, jsonBody: { id: request.params.id } };",
    ),
  );
  writeFileSync(
    path.join(dir, 'functions', 'rotationWorker.js'),
    record('rotationWorker', 'message, context', '{ message, fn: context.functionName }'),
  );
  writeFileSync(path.join(dir, 'functions', 'dailySweep.js'), record('dailySweep', 'timer', '{ timer }'));
  writeFileSync(
    path.join(dir, 'functions', 'keyVaultEvents.js'),
    record('keyVaultEvents', 'event, context', '{ event, fn: context.functionName }'),
  );
  writeFileSync(path.join(dir, 'invoke.mjs'), INVOKE);
  await bundleEntry(dir);
  entry = path.join(dir, ENTRY);
}, 30_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('scripts/build.ts: the bundled entry point', () => {
  it('registers every function of definitions.ts, loading no other file', async () => {
    const report = await underWorkerStub([entry]);
    expect(report.names).toEqual(functionDefinitions.map((d) => d.name));
    expect(report.registered).toBe(functionDefinitions.length);
    // No function module, no engine, no SDK, not even @azure/functions from node_modules: one file.
    expect(report.files).toEqual([entry]);
  });

  it('loads no node:crypto, node:http or node:net to register (every binding is named; nothing hashes)', async () => {
    const report = await underWorkerStub([entry]);
    expect(report.builtins).toContain('fs'); // the list is Node's own: it holds what bootstrap loads
    expect(report.builtins).not.toContain('crypto');
    expect(report.builtins).not.toContain('http');
    expect(report.builtins).not.toContain('net');
    const bindingNames = report.metadata.flatMap((m) => Object.values(m.bindings).map((b) => b.name));
    expect(new Set(bindingNames)).toEqual(
      new Set(['httpTrigger', 'httpResponse', 'eventGridTrigger', 'queueTrigger', 'timerTrigger']),
    );
  });

  it('hands the worker the same metadata as @azure/functions as shipped, binding names included', async () => {
    const bundled = await underWorkerStub([entry]);
    // The same source through tsx: `@azure/functions` resolves to its webpack build in node_modules.
    const source = pathToFileURL(path.join(ROOT, 'functions', 'index.ts')).href;
    const shipped = await underWorkerStub([
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(source)});`,
    ]);
    expect(
      shipped.files.some((f) =>
        f.includes(`${path.sep}node_modules${path.sep}@azure${path.sep}functions${path.sep}`),
      ),
    ).toBe(true);
    expect(shipped.metadata).toHaveLength(functionDefinitions.length);
    expect(bundled.metadata).toEqual(shipped.metadata);
    const worker = bundled.metadata.find((m) => m.name === 'rotationWorker');
    expect(Object.values(worker?.bindings ?? {})).toContainEqual(
      expect.objectContaining({ type: 'queueTrigger', queueName: 'rotation-runs', direction: 'in' }),
    );
  });

  it('invokes functions exactly as @azure/functions as shipped does (HTTP, queue, Event Grid, timer)', async () => {
    // The same manifest bundled with the library's webpack build: only the library's build differs.
    await bundleEntry(dir, { outfile: 'functions/shipped.cjs', azureFunctions: 'shipped' });
    const invoke = async (file: string) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--require', STUB, path.join(dir, 'invoke.mjs'), path.join(dir, 'functions', file)],
        { cwd: ROOT, env: { PATH: process.env.PATH ?? '', BENCH_STUB_DETAIL: '1' }, timeout: 20_000 },
      );
      return JSON.parse(stdout) as Record<string, { seen: Record<string, unknown>; response: unknown }>;
    };
    const bundled = await invoke('index.cjs');
    expect(bundled).toEqual(await invoke('shipped.cjs'));
    expect(bundled.getRun?.seen).toMatchObject({ id: 'r1', query: 'yes', hasKey: true, fn: 'getRun' });
    expect(JSON.stringify(bundled.getRun?.response)).toContain('"statusCode":"202"');
    expect(bundled.rotationWorker?.seen).toEqual({
      message: { vault: 'v1', group: 'g1' },
      fn: 'rotationWorker',
    });
    expect(bundled.dailySweep?.seen).toMatchObject({ timer: { isPastDue: false } });
  });

  it('fails when a module the manifest loads on first use is missing from the build', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'kvr-entry-empty-'));
    try {
      await expect(bundleEntry(empty)).rejects.toThrow(/loads modules the build lacks: .*rotationWorker\.js/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
