/** Lookups the manual flow shares: the managed secret and its group, open tasks, runs in progress. */
import { describeError, RotationError } from '../errors.js';
import type {
  Clock,
  CredentialGroup,
  Journal,
  Logger,
  ManagedSecret,
  RunRecord,
  SecretCatalog,
} from '../ports.js';
import { isOpenTask, taskOf } from './task.js';

/** The managed secret and its group; `UnmanagedSecret` (404) when the rotator does not manage it. */
export async function managedSecret(
  catalog: SecretCatalog,
  vault: string,
  name: string,
): Promise<{ secret: ManagedSecret; group: CredentialGroup }> {
  const vaultName = vault.trim().toLowerCase();
  const secret = await catalog.resolveSecret(vaultName, name.trim());
  if (!secret) {
    throw new RotationError('UnmanagedSecret', `secret ${name} in vault ${vaultName} is not managed`);
  }
  const group = await catalog.resolveGroup(secret.vault, secret.group);
  if (!group || group.secrets.length === 0) {
    throw new RotationError(
      'ConfigInvalid',
      `credential group ${secret.group} of secret ${secret.name} is unknown`,
    );
  }
  return { secret, group };
}

export interface GroupRuns {
  /** Open tasks of the group, oldest first. */
  open: RunRecord[];
  /** A queued or running run of the group (the newest), if any. */
  busy: RunRecord | undefined;
}

/** The group's open tasks and run in progress (the journal lists a group's runs oldest first). */
export async function groupRuns(
  journal: Journal,
  group: Pick<CredentialGroup, 'vault' | 'id'>,
): Promise<GroupRuns> {
  const open: RunRecord[] = [];
  let busy: RunRecord | undefined;
  for await (const run of journal.list({ vault: group.vault, group: group.id })) {
    if (isOpenTask(run)) open.push(run);
    else if (run.status === 'queued' || run.status === 'running') busy = run;
  }
  return { open, busy };
}

/** `409` for a run of the group that is queued or running, naming it. */
export function runInProgressError(run: Pick<RunRecord, 'id' | 'group' | 'status'>): RotationError {
  return new RotationError(
    'RunInProgress',
    `run ${run.id} of group ${run.group} is ${run.status}; try again when it has finished (/api/runs/${run.id})`,
    { details: [{ path: 'runId', message: run.id }] },
  );
}

/** Open tasks of the group other than `runId`, oldest first. */
export async function otherOpenTasks(
  journal: Journal,
  group: Pick<CredentialGroup, 'vault' | 'id'>,
  runId: string,
): Promise<RunRecord[]> {
  return (await groupRuns(journal, group)).open.filter((run) => run.id !== runId);
}

/**
 * Closes an open task that another run made moot (`skipped`, `StaleTrigger`, `task.closedBy.via =
 * 'superseded'`): its reminders stop. Best effort: returns false (logged) when it could not be written.
 * Call under the group's lease.
 */
export async function supersedeTask(
  deps: { journal: Journal; clock: Clock; log: Logger },
  runId: string,
  by: { runId: string; why: string },
): Promise<boolean> {
  try {
    const row = await deps.journal.get(runId);
    if (!row || !isOpenTask(row.run)) return false;
    const at = deps.clock.now().toISOString();
    const run = structuredClone(row.run);
    run.status = 'skipped';
    run.error = { code: 'StaleTrigger', message: `superseded: ${by.why}`, phase: run.phase };
    run.pendingHuman = [];
    run.task = { ...taskOf(run), closedAt: at, closedBy: { via: 'superseded', runId: by.runId } };
    run.finishedAt = at;
    run.updatedAt = at;
    await deps.journal.replace(run, row.etag);
    return true;
  } catch (error) {
    deps.log.warn('could not close a superseded task', { runId, ...describeError(error) });
    return false;
  }
}
