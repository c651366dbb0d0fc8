/** The rotation engine: public API for triggers, the worker, reports and the CLI. */
export { redact } from './alerts.js';
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
export { type RunTarget, resolveTarget } from './target.js';
