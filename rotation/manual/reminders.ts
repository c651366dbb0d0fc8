/**
 * The daily sweep's reminders step for manual rotation tasks: owners are reminded at the configured days
 * before the deadline (`rotation.json` `reminders`, default 30, 14, 7, 3 and 1), each threshold once, and
 * the task escalates (critical alert, once) when the deadline passes with the task still open.
 *
 * A threshold already passed when the task opened is covered by the opening alert; thresholds that fell
 * due since the last sweep go out as one reminder (the nearest) and are all recorded. Each task is updated
 * under its group's lease, so a reminder never races a hand-over; a busy group is reminded next time.
 */

import { sendAlert } from '../engine/alerts.js';
import type { EngineDeps } from '../engine/deps.js';
import { timingOf } from '../engine/deps.js';
import { acquireGroupLease } from '../engine/lease-keeper.js';
import { RunWriter } from '../engine/records.js';
import { describeError, isRotationError } from '../errors.js';
import type { CredentialGroup, RunRecord } from '../ports.js';
import { DAY_MS, isOpenTask, isUrgent, taskOf, taskText } from './task.js';

export interface ReminderProblem {
  target: string;
  code: string;
  message: string;
}

export interface ReminderSummary {
  /** Open tasks seen (one per credential group). */
  tasks: number;
  reminded: number;
  escalated: number;
  /** Groups whose lease was held (a hand-over in progress): looked at again by the next sweep. */
  busy: number;
  problems: ReminderProblem[];
}

/** Thresholds (days before `deadline`) that fell due after the task opened and were not sent yet. */
export function dueThresholds(
  days: readonly number[],
  task: { openedAt: string; reminders: { days: number }[] },
  deadline: Date,
  now: Date,
): number[] {
  if (now.getTime() >= deadline.getTime()) return [];
  const opened = Date.parse(task.openedAt);
  return days.filter((d) => {
    const dueAt = deadline.getTime() - d * DAY_MS;
    return now.getTime() >= dueAt && dueAt > opened && !task.reminders.some((r) => r.days === d);
  });
}

/** The oldest open task of every group (a group rarely has two; the oldest carries its reminders). */
async function openTasks(deps: EngineDeps, known?: Iterable<RunRecord>): Promise<RunRecord[]> {
  const byGroup = new Map<string, RunRecord>();
  const runs = known ?? deps.journal.list({ status: 'manual-action-required' });
  const sorted: RunRecord[] = [];
  for await (const run of runs) sorted.push(run);
  sorted.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  for (const run of sorted) {
    const key = `${run.vault}/${run.group}`;
    if (isOpenTask(run) && !byGroup.has(key)) byGroup.set(key, run);
  }
  return [...byGroup.values()];
}

function todoOf(run: RunRecord, group: CredentialGroup): string {
  const dashboard = run.task?.dashboardUrl ? ` (${run.task.dashboardUrl})` : '';
  return (
    run.pendingHuman[0] ?? `Mint a new ${group.provider} credential in the provider's dashboard${dashboard}`
  );
}

/**
 * Sends due reminders and escalations for every open task; never throws for one task's problem. `runs`:
 * the journal's runs when the caller already read them (the sweep's scan), else they are queried.
 */
export async function sendManualReminders(
  deps: EngineDeps,
  reminders: readonly number[],
  now: Date = deps.clock.now(),
  runs?: Iterable<RunRecord>,
): Promise<ReminderSummary> {
  const summary: ReminderSummary = { tasks: 0, reminded: 0, escalated: 0, busy: 0, problems: [] };
  const days = [...new Set(reminders)].sort((a, b) => b - a);
  for (const open of await openTasks(deps, runs)) {
    summary.tasks += 1;
    const target = `${open.vault}/${open.group}`;
    try {
      const group = await deps.catalog.resolveGroup(open.vault, open.group);
      if (!group) {
        summary.problems.push({
          target,
          code: 'ConfigInvalid',
          message: `group ${open.group} is no longer configured`,
        });
        continue;
      }
      const outcome = await remindOne(deps, group, open.id, days, now);
      if (outcome.reminded) summary.reminded += 1;
      if (outcome.escalated) summary.escalated += 1;
    } catch (error) {
      if (isRotationError(error, 'RunInProgress')) {
        summary.busy += 1;
        continue;
      }
      const { code, message } = describeError(error);
      deps.log.warn('manual task reminder failed', { runId: open.id, code, message });
      summary.problems.push({ target, code, message });
    }
  }
  if (summary.tasks > 0)
    deps.log.info('manual task reminders', { ...summary, problems: summary.problems.length });
  return summary;
}

async function remindOne(
  deps: EngineDeps,
  group: CredentialGroup,
  runId: string,
  days: readonly number[],
  now: Date,
): Promise<{ reminded: boolean; escalated: boolean }> {
  const keeper = await acquireGroupLease(deps, group.vault, group.id, timingOf(deps));
  try {
    const row = await deps.journal.get(runId);
    if (!row || !isOpenTask(row.run)) return { reminded: false, escalated: false };
    const run = row.run;
    const task = taskOf(run);
    const primary = group.secrets[0]!;
    const deadline = task.deadline
      ? new Date(task.deadline)
      : (await deps.store.getCurrent(group.vault, primary.name))?.expiresOn;
    if (!deadline) return { reminded: false, escalated: false };
    const due = dueThresholds(days, task, deadline, now);
    const escalate = now.getTime() >= deadline.getTime() && task.escalatedAt === undefined;
    if (due.length === 0 && !escalate) return { reminded: false, escalated: false };

    const base = {
      kind: 'manual-action-required' as const,
      vault: group.vault,
      secrets: group.secrets.map((s) => s.name),
      runId: run.id,
      channels: [...group.channels],
    };
    const text = taskText({ group, todo: todoOf(run, group), deadline, now });
    const alerts: RunRecord['alerts'] = [];
    const at = now.toISOString();
    if (due.length > 0) {
      const nearest = Math.min(...due);
      const left = Math.max(1, Math.ceil((deadline.getTime() - now.getTime()) / DAY_MS));
      alerts.push(
        ...(await sendAlert(deps, {
          ...base,
          severity: isUrgent(run) || nearest <= 1 ? 'critical' : 'warning',
          title: `${isUrgent(run) ? 'URGENT ' : ''}Reminder: ${group.id} expires in ${left} day${left === 1 ? '' : 's'} — mint a new ${group.provider} key`,
          text: `${text} Run ${run.id}.`,
        })),
      );
    }
    if (escalate) {
      alerts.push(
        ...(await sendAlert(deps, {
          ...base,
          severity: 'critical',
          title: `OVERDUE: ${group.id} expired with its rotation task open`,
          text:
            `The version Key Vault serves for ${group.secrets.map((s) => s.name).join(', ')} expired at ` +
            `${deadline.toISOString()}; consumers reading it may fail now. ${text} Run ${run.id}.`,
        })),
      );
    }
    const writer = new RunWriter(deps.journal, deps.clock, row, keeper);
    await writer.save((d) => {
      const next = taskOf(d);
      if (!next.deadline) next.deadline = deadline.toISOString();
      for (const d2 of due) next.reminders.push({ days: d2, at });
      if (escalate) next.escalatedAt = at;
      d.task = next;
      d.alerts.push(...alerts);
    });
    deps.log.info('manual task reminded', { runId: run.id, group: group.id, due, escalated: escalate });
    return { reminded: due.length > 0, escalated: escalate };
  } finally {
    await keeper.stop();
  }
}
