/**
 * Azure entry point: registers every function of `definitions.ts` (through `manifest.ts`: same names and
 * triggers, handlers that load their module on first invocation) with the v4 programming model.
 *
 * Deployed as one CommonJS file, `dist/functions/index.cjs` (package.json `main`), that `npm run build`
 * bundles from this file with `@azure/functions` inside (`scripts/build.ts` says why). A cold start runs
 * that file only; the function modules, the engine and every other Azure SDK load on first use from the
 * tsc output and `node_modules` (DESIGN.md, `npm run bench`).
 */
import { app } from '@azure/functions';
import { registerFunctions } from './definition.js';
import { functionManifest } from './manifest.js';

// Bodies are buffered (the default): every HTTP body is small and size-checked by `readJsonBody`.
app.setup({ enableHttpStream: false });
registerFunctions(app, functionManifest);
