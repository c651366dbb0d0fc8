import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  BINDING_NAMES,
  type FunctionDefinition,
  FunctionDefinitionError,
  type FunctionRegistrar,
  findDefinitionProblems,
  registerFunctions,
} from './definition.js';
import { functionDefinitions } from './definitions.js';

const noop = () => undefined;

const sample: FunctionDefinition[] = [
  {
    name: 'rotateSecret',
    trigger: { type: 'http', methods: ['POST'], route: 'secrets/{name}/rotate', authLevel: 'function' },
    handler: () => ({ status: 202 }),
  },
  { name: 'keyVaultEvents', trigger: { type: 'eventGrid' }, handler: noop },
  {
    name: 'rotationWorker',
    trigger: { type: 'storageQueue', queueName: 'rotation-runs', connection: 'AzureWebJobsStorage' },
    handler: noop,
  },
  { name: 'dailySweep', trigger: { type: 'timer', schedule: '%SWEEP_SCHEDULE%' }, handler: noop },
];

function recordingRegistrar() {
  const calls: { kind: string; name: string; options: Record<string, unknown> }[] = [];
  const record = (kind: string) => (name: string, options: object) => {
    calls.push({ kind, name, options: { ...options } });
  };
  const registrar: FunctionRegistrar = {
    http: record('http'),
    eventGrid: record('eventGrid'),
    storageQueue: record('storageQueue'),
    timer: record('timer'),
  };
  return { registrar, calls };
}

describe('registerFunctions', () => {
  it('registers each definition once with the matching app.* call', () => {
    const { registrar, calls } = recordingRegistrar();
    registerFunctions(registrar, sample);
    expect(calls.map((c) => [c.kind, c.name])).toEqual([
      ['http', 'rotateSecret'],
      ['eventGrid', 'keyVaultEvents'],
      ['storageQueue', 'rotationWorker'],
      ['timer', 'dailySweep'],
    ]);
    expect(calls[0]?.options).toMatchObject({
      methods: ['POST'],
      route: 'secrets/{name}/rotate',
      authLevel: 'function',
    });
    expect(calls[0]?.options.handler).toBe(sample[0]?.handler);
    expect(calls[2]?.options).toMatchObject({
      queueName: 'rotation-runs',
      connection: 'AzureWebJobsStorage',
    });
    expect(calls[3]?.options).toMatchObject({ schedule: '%SWEEP_SCHEDULE%', runOnStartup: false });
  });

  it('names every binding itself, so @azure/functions never hashes one (no node:crypto at a cold start)', () => {
    const { registrar, calls } = recordingRegistrar();
    registerFunctions(registrar, sample);
    expect(calls.map((c) => c.options.name)).toEqual([
      BINDING_NAMES.http,
      BINDING_NAMES.eventGrid,
      BINDING_NAMES.storageQueue,
      BINDING_NAMES.timer,
    ]);
    expect(calls[0]?.options.return).toEqual({ type: 'http', name: BINDING_NAMES.httpReturn });
  });

  it('registers nothing when any definition is invalid, listing every problem', () => {
    const { registrar, calls } = recordingRegistrar();
    const bad: FunctionDefinition[] = [
      ...sample,
      { name: 'RotateSecret', trigger: { type: 'eventGrid' }, handler: noop },
      {
        name: 'second',
        trigger: { type: 'http', methods: ['POST'], route: 'secrets/{id}/rotate', authLevel: 'function' },
        handler: () => ({}),
      },
      {
        name: '9lives',
        trigger: { type: 'http', methods: [], route: 'a/{*rest}/b', authLevel: 'anonymous' },
        handler: () => ({}),
      },
      {
        name: 'q',
        trigger: { type: 'storageQueue', queueName: 'Bad_Queue', connection: 'AzureWebJobsStorage' },
        handler: noop,
      },
    ];
    expect(() => registerFunctions(registrar, bad)).toThrow(FunctionDefinitionError);
    expect(calls).toHaveLength(0);
    const problems = findDefinitionProblems(bad);
    expect(problems).toEqual([
      expect.stringContaining('function name registered twice'),
      expect.stringContaining('POST secrets/{id}/rotate is also served by rotateSecret'),
      expect.stringContaining('invalid function name'),
      expect.stringContaining('no HTTP methods'),
      expect.stringContaining('catch-all parameter must be the last'),
      expect.stringContaining('invalid queue name "Bad_Queue"'),
    ]);
  });

  it('the shipped list is valid', () => {
    expect(findDefinitionProblems(functionDefinitions)).toEqual([]);
  });
});

describe('functions/index.ts', () => {
  it('loads no Azure SDK besides @azure/functions, and no function module (cold start)', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const dir = mkdtempSync(path.join(tmpdir(), 'kvr-index-'));
    try {
      const log = path.join(dir, 'resolved.txt');
      writeFileSync(
        path.join(dir, 'hooks.mjs'),
        `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.RESOLVE_LOG, result.url + '\\n');
  return result;
}
`,
      );
      writeFileSync(
        path.join(dir, 'register.mjs'),
        // ESM resolutions go through the hook; CommonJS ones (`@azure/functions` is required) are logged here.
        `import Module, { register } from 'node:module';\nimport { appendFileSync } from 'node:fs';\n` +
          `const resolveCjs = Module._resolveFilename;\n` +
          `Module._resolveFilename = function (...args) { const file = resolveCjs.apply(this, args); appendFileSync(process.env.RESOLVE_LOG, 'file://' + file + '\\n'); return file; };\n` +
          `register(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});\n`,
      );
      const entry = pathToFileURL(path.join(root, 'functions/index.ts')).href;
      await promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          '--import',
          pathToFileURL(path.join(dir, 'register.mjs')).href,
          '--input-type=module',
          '-e',
          `await import(${JSON.stringify(entry)});`,
        ],
        { cwd: root, env: { ...process.env, RESOLVE_LOG: log }, timeout: 20_000 },
      );
      const resolved = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      expect(resolved.some((url) => url.includes('/functions/index.ts'))).toBe(true);
      expect(resolved.some((url) => url.includes('/node_modules/@azure/functions/'))).toBe(true);
      // (@azure/functions requires its own dependency @azure/functions-extensions-base.)
      const otherSdks = resolved.filter((url) =>
        /\/node_modules\/@azure\/(?!functions\/|functions-extensions-base\/)/.test(url),
      );
      expect(otherSdks).toEqual([]);
      // Nor the function modules, the engine or zod: they load with the first invocation (manifest.ts).
      const project = pathToFileURL(root).href;
      const heavy = resolved.filter((url) =>
        url.includes('/node_modules/')
          ? url.includes('/node_modules/zod/')
          : url.startsWith(project) &&
            /^\/?(rotation|composition)\/|^\/?functions\/(?!index|manifest|definition\.)/.test(
              url.slice(project.length),
            ),
      );
      expect(heavy).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
