/**
 * THE list of functions: `local/host` serves it locally, and `functions/index.ts` registers it in Azure
 * through `manifest.ts` (same names and triggers, handlers that load their module on first invocation,
 * so a cold start loads none of these files). To add a function: export a `FunctionDefinition` from its
 * file, add one import line and one entry here, and its entry in `manifest.ts` (`manifest.test.ts` checks
 * that both lists agree). Function files must not import Azure SDKs at module level (load them on first use).
 */
import { dailySweep } from './dailySweep.js';
import type { FunctionDefinition } from './definition.js';
import { getRunFunction } from './getRun.js';
import { historyReport } from './historyReport.js';
import { inventoryReport } from './inventoryReport.js';
import { keyVaultEvents } from './keyVaultEvents.js';
import { poisonRuns } from './poisonRuns.js';
import { repropagateRunFunction } from './repropagateRun.js';
import { rollbackSecretFunction } from './rollbackSecret.js';
import { rotateManyFunction } from './rotateMany.js';
import { rotateSecretFunction } from './rotateSecret.js';
import { rotationWorker } from './rotationWorker.js';
import { submitSecretVersionFunction } from './submitSecretVersion.js';

export const functionDefinitions: FunctionDefinition[] = [
  keyVaultEvents,
  rotationWorker,
  poisonRuns,
  dailySweep,
  inventoryReport,
  historyReport,
  rotateSecretFunction,
  rotateManyFunction,
  rollbackSecretFunction,
  getRunFunction,
  repropagateRunFunction,
  submitSecretVersionFunction,
];
