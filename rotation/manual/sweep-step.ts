/** The daily sweep's `manual-reminders` step: reminders and escalation of open manual tasks (`reminders.ts`). */
import type { StepOutcome, SweepContext, SweepStep } from '../sweep/types.js';
import { sendManualReminders } from './reminders.js';

export const manualRemindersStep: SweepStep = {
  name: 'manual-reminders',
  async run(ctx: SweepContext): Promise<StepOutcome> {
    // The scan's runs reach back past the longest validity: every task still open is among them.
    const summary = await sendManualReminders(ctx.deps, ctx.config.reminders, ctx.now, ctx.scan.runs);
    const notes: string[] = [];
    if (summary.reminded > 0) notes.push(`reminded owners of ${summary.reminded} manual rotation task(s)`);
    if (summary.escalated > 0) notes.push(`${summary.escalated} manual rotation task(s) overdue: escalated`);
    return {
      counts: {
        tasks: summary.tasks,
        reminded: summary.reminded,
        escalated: summary.escalated,
        busy: summary.busy,
        failed: summary.problems.length,
      },
      problems: summary.problems,
      ...(notes.length > 0 ? { notes } : {}),
    };
  },
};
