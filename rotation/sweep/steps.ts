/**
 * THE list of sweep steps, run in this order after the inventory scan; the digest and the heartbeat
 * always follow them (`run.ts`). To add a step (e.g. the manual-provider reminders): export a `SweepStep`
 * from its module, then add one import line and one entry here.
 */
import { manualRemindersStep } from '../manual/sweep-step.js';
import { queueDueStep } from './queue-due.js';
import { resumeStep } from './resume.js';
import { retireVersionsStep } from './retire.js';
import type { SweepStep } from './types.js';

export const SWEEP_STEPS: readonly SweepStep[] = [
  resumeStep,
  queueDueStep,
  retireVersionsStep,
  manualRemindersStep,
];
