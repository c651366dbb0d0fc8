/**
 * Manual providers (a human mints the key, the rotator makes sure it happens in time and that nothing
 * breaks): the task model, the hand-over (`POST /api/secrets/{name}/versions`), values set in Key Vault
 * by hand (validated, promoted or reverted), and the sweep's reminders and escalation.
 */
export { generationOf, groupValues, type HumanCredential, nextGeneration } from './credential.js';
export { checkVersionSetByHand } from './events.js';
export { type HandSetInput, type HandSetOutcome, handleHandSetVersion, PAIR_WINDOW_MS } from './hand-set.js';
export { nextGenerationOf } from './history.js';
export { groupRuns, managedSecret, otherOpenTasks, runInProgressError, supersedeTask } from './lookup.js';
export { joinOpenTask } from './one-task.js';
export { type HandOver, type PromotionResult, promoteHandOver } from './promote.js';
export { dueThresholds, type ReminderSummary, sendManualReminders } from './reminders.js';
export {
  checkWithProvider,
  PROVIDER_RETRY_AFTER_SECONDS,
  type SubmissionInput,
  submitSecretVersion,
} from './submit.js';
export { manualRemindersStep } from './sweep-step.js';
export {
  describeDeadline,
  handOverText,
  isOpenTask,
  isUrgent,
  newTask,
  taskOf,
  taskText,
  VERSIONS_ROUTE,
} from './task.js';
