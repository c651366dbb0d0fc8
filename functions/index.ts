/**
 * Azure entry point (`main` = `dist/functions/index.js`): registers every function of `definitions.ts`
 * (through `manifest.ts`: same names and triggers, handlers that load their module on first invocation)
 * with the v4 programming model. A cold start loads `@azure/functions` and these few files only; the
 * function modules, the engine and every other Azure SDK load on first use (DESIGN.md, `npm run bench`).
 */
import { createRequire } from 'node:module';
import type * as AzureFunctions from '@azure/functions';
import { registerFunctions } from './definition.js';
import { functionManifest } from './manifest.js';

// `@azure/functions` is CommonJS: `require` loads it as is. An ESM `import` would first scan its 190 KB
// bundle for named exports (cjs-module-lexer), which costs about as much again as loading it.
const { app } = createRequire(import.meta.url)('@azure/functions') as typeof AzureFunctions;

// Bodies are buffered (the default): every HTTP body is small and size-checked by `readJsonBody`.
app.setup({ enableHttpStream: false });
registerFunctions(app, functionManifest);
