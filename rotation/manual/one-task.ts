/**
 * One open task per credential group. A run about to open a task finds the group's open one: a normal
 * run joins it (ends `skipped`, pointing at the task: the owners already know, reminders go on) — e.g. the
 * `SecretNearExpiry` of a version the rotator wrote back after rejecting a value set by hand; a compromise
 * supersedes it (its urgent task replaces the normal one).
 */
import type { RunFlow } from '../engine/flow.js';
import { otherOpenTasks, supersedeTask } from './lookup.js';
import { isOpenTask, VERSIONS_ROUTE } from './task.js';

/**
 * Call before opening a task; true when the run ended here (joined the open task). The group's runs are
 * those the attempt's start checks listed under the same lease when it has them (tasks of the group open
 * and close only under it), else listed now.
 */
export async function joinOpenTask(flow: RunFlow): Promise<boolean> {
  const others = flow.othersAtStart
    ? flow.othersAtStart.filter(isOpenTask)
    : await otherOpenTasks(flow.deps.journal, flow.group, flow.run.id);
  if (others.length === 0) return false;
  if (flow.run.compromised) {
    for (const open of others) {
      await supersedeTask(flow.deps, open.id, {
        runId: flow.run.id,
        why: `compromise reported: the urgent task of run ${flow.run.id} replaces it`,
      });
    }
    return false;
  }
  const open = others[0]!;
  const route = VERSIONS_ROUTE.replace('{name}', flow.primary.name);
  flow.deps.log.info('rotation task already open; run joins it', { runId: flow.run.id, task: open.id });
  await flow.writer.save((d) => {
    d.status = 'skipped';
    d.error = {
      code: 'RunInProgress',
      message:
        `the rotation task of run ${open.id} is open${open.task?.deadline ? ` (deadline ${open.task.deadline})` : ''}: ` +
        `hand the new key over with POST ${route}`,
      phase: d.phase,
    };
    d.finishedAt = flow.now().toISOString();
  });
  return true;
}
