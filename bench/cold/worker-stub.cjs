/**
 * Preloaded (`node --require`) into every process the cold-start benchmark starts, the bare one included.
 * Stands in for the Azure Functions Node worker, which provides the `@azure/functions-core` module: with
 * it `@azure/functions` really registers each function (without it, it switches to "test mode" and skips
 * registration). At exit it prints, on stderr, the process's peak RSS, how many functions registered and
 * their names; with `BENCH_STUB_DETAIL=1` also what each registration handed the worker (metadata) and
 * every file the process `require`d and Node's built-in modules it loaded (the tests compare the bundled entry
 * point with the library as shipped).
 */
const Module = require('node:module');
const { writeSync } = require('node:fs');

const CORE = '@azure/functions-core';
const core = {
  registered: 0,
  names: [],
  metadata: [],
  /** For drivers that invoke a function as the worker would (tests): the model and each callback. */
  programmingModel: undefined,
  callbacks: new Map(),
  setProgrammingModel(model) {
    core.programmingModel = model;
  },
  registerFunction(metadata, callback) {
    core.registered += 1;
    core.names.push(metadata.name);
    core.callbacks.set(metadata.name, callback);
    if (process.env.BENCH_STUB_DETAIL === '1') core.metadata.push(metadata);
    return { dispose() {} };
  },
  registerHook() {
    return { dispose() {} };
  },
  log() {},
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveCore(request, ...rest) {
  return request === CORE ? CORE : resolve.call(this, request, ...rest);
};
require.cache[CORE] = { id: CORE, filename: CORE, loaded: true, exports: core };

process.on('exit', () => {
  const report = { maxRssKb: process.resourceUsage().maxRSS, registered: core.registered, names: core.names };
  if (process.env.BENCH_STUB_DETAIL === '1') {
    report.metadata = core.metadata;
    report.files = Object.keys(require.cache).filter((id) => id !== CORE && id !== __filename);
    // Node's own modules the process loaded (bootstrap included), e.g. `crypto` once something required it.
    report.builtins = process.moduleLoadList
      .filter((m) => m.startsWith('NativeModule '))
      .map((m) => m.slice('NativeModule '.length));
  }
  writeSync(2, `\nBENCH ${JSON.stringify(report)}\n`);
});
