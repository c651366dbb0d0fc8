/**
 * Azure entry point (`main` = `dist/functions/index.js`): registers every definition from
 * `definitions.ts` with the v4 programming model. Loads `@azure/functions` and the definitions only;
 * every other Azure SDK is loaded lazily by the code that first needs it (cold start, DESIGN.md).
 */
import azureFunctions from '@azure/functions';
import { registerFunctions } from './definition.js';
import { functionDefinitions } from './definitions.js';

const { app } = azureFunctions;

// Bodies are buffered (the default): every HTTP body is small and size-checked by `readJsonBody`.
app.setup({ enableHttpStream: false });
registerFunctions(app, functionDefinitions);
