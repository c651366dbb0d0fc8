/** The daily sweep: queue what is due, resume what is unfinished, retire old versions, digest, heartbeat. */
export { buildDigest, DIGEST_ROWS_PER_SECTION, digestChannels, sendDigest } from './digest.js';
export { MAX_HEARTBEAT_PROBLEMS, MemoryHeartbeatStore } from './heartbeat.js';
export { dueGroups, queueDueStep } from './queue-due.js';
export { resumeStep, unfinishedRuns } from './resume.js';
export { RETIRE_CATCH_UP_DAYS, retirementCandidates, retireVersionsStep } from './retire.js';
export { DEFAULT_STALE_AFTER_MINUTES, runSweep } from './run.js';
export { SWEEP_STEPS } from './steps.js';
export type {
  ManagedEntry,
  StepOutcome,
  StepResult,
  SweepContext,
  SweepOptions,
  SweepResult,
  SweepStep,
  VersionRetirer,
} from './types.js';
