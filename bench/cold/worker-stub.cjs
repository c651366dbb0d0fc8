/**
 * Preloaded (`node --require`) into every process the cold-start benchmark starts, the bare one included.
 * Stands in for the Azure Functions Node worker, which provides the `@azure/functions-core` module: with
 * it `@azure/functions` really registers each function (without it, it switches to "test mode" and skips
 * registration). At exit it prints, on stderr, the process's peak RSS and how many functions registered.
 */
const Module = require('node:module');
const { writeSync } = require('node:fs');

const CORE = '@azure/functions-core';
const core = {
  registered: 0,
  setProgrammingModel() {},
  registerFunction() {
    core.registered += 1;
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
  const report = { maxRssKb: process.resourceUsage().maxRSS, registered: core.registered };
  writeSync(2, `\nBENCH ${JSON.stringify(report)}\n`);
});
