/** Lookups the manual flow shares: the managed secret and its group, open tasks, runs in progress. */
import { RotationError } from '../errors.js';
import type { CredentialGroup, Journal, ManagedSecret, RunRecord, SecretCatalog } from '../ports.js';
import { isOpenTask } from './task.js';

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
