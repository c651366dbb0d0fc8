// Loads the built Functions entry point (registering every function) as the worker does — `require`, it is
// CommonJS — then what the first rotation of a cold process loads on first use: the function's module, the
// composition root and the SDKs a key-pair rotation with an App Service consumer needs in Azure. Prints the
// times and RSS on stdout.
import { createRequire } from 'node:module';

const [dist, ...sdks] = process.argv.slice(2);
const rss = () => process.memoryUsage().rss;
const t0 = performance.now();
createRequire(import.meta.url)(`${dist}/functions/index.cjs`);
const t1 = performance.now();
const rss1 = rss();
await Promise.all([
  import(`${dist}/functions/rotationWorker.js`),
  import(`${dist}/composition/root.js`),
  ...sdks.map((name) => import(name)),
]);
const t2 = performance.now();
process.stdout.write(
  JSON.stringify({ entryMs: t1 - t0, firstRunMs: t2 - t1, rssAfterEntry: rss1, rssAfterFirstRun: rss() }),
);
