/** The rotation engine: public API for triggers, the worker, reports and the CLI. */
export { redact } from './alerts.js';
export {
  type BatchInput,
  type BatchPlan,
  computePlanId,
  type GroupPlan,
  type GroupStart,
  PLAN_TTL_SECONDS,
  planBatch,
  type SelectedGroup,
  type Selection,
  startBatch,
  verifyPlanId,
} from './batch.js';
export {
  type DisabledVersion as DisabledLeakedVersion,
  disabledEntry,
  disableLeakedVersions,
  type LeakedVersionsOutcome,
} from './compromise.js';
export {
  type BackoffProfile,
  DEFAULT_SETTINGS,
  DEFAULT_TIMING,
  type EngineDeps,
  type EngineSettings,
  type EngineTiming,
  engineSettingsFrom,
} from './deps.js';
export { type EnqueueOutcome, enqueueRotation } from './enqueue.js';
export { executeRun } from './execute.js';
export { createRunIdentity, groupLeaseKey, NO_VERSION } from './identity.js';
export { acquireGroupLease, LeaseKeeper } from './lease-keeper.js';
export { type PlannedSecret, planRotation, type RotationPlan } from './plan.js';
export {
  checkValidity,
  FINAL_STATUSES,
  isRetriggerableSkip,
  MIN_VALIDITY_DAYS,
  type StartDecision,
  spacingReason,
  startDecision,
} from './policy.js';
export { type PreflightCheck, preflightChecks } from './preflight.js';
export { whereOf } from './records.js';
export {
  checkRepropagation,
  executeRepropagation,
  failedConsumers,
  requestRepropagation,
} from './repropagate.js';
export {
  prepareRollback,
  type RollbackOutcome,
  type RollbackTarget,
  requestRollback,
  rollbackRunId,
} from './rollback.js';
export { executeRollback } from './rollback-run.js';
export { inProgressRunOf, resolveManaged } from './run-lookup.js';
export { selectGroups } from './selection.js';
export { acquireRunSlot, concurrencyOf, DEFAULT_CONCURRENCY, slotKey } from './slots.js';
export {
  buildRotationTags,
  checkTagBudget,
  isRotatorVersion,
  keyHint,
  mergeTags,
  ROTATOR_TAG_COUNT,
  type RotationTagInput,
  rotationIdOf,
  userTags,
} from './tags.js';
export { type CurrentRead, type RunTarget, readCurrent, resolveTarget } from './target.js';
export {
  isFinal,
  untilCompromiseHandled,
  untilFinal,
  type WaitOptions,
  type WaitPredicate,
  type WaitVerdict,
  waitForRun,
  waitForRuns,
} from './wait.js';
