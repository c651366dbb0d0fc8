/**
 * THE list of functions: `functions/index.ts` registers it in Azure and `local/host` serves it locally.
 * To add a function: export a `FunctionDefinition` from its file, then add one import line and one entry
 * here. Function files must not import Azure SDKs at module level (load them on first use): this list is
 * loaded on every cold start.
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
