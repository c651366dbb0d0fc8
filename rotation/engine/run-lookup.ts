/** Small lookups shared by rollback, re-propagation and batches: managed secret + group, busy runs. */
import { RotationError } from '../errors.js';
import type { CredentialGroup, Journal, ManagedSecret, RunRecord, SecretCatalog } from '../ports.js';

/** The managed secret and its group; `UnmanagedSecret` (404) when the rotator does not manage it. */
export async function resolveManaged(
  deps: { catalog: SecretCatalog },
  vault: string,
  name: string,
): Promise<{ secret: ManagedSecret; group: CredentialGroup }> {
  const vaultName = vault.trim().toLowerCase();
  const secret = await deps.catalog.resolveSecret(vaultName, name.trim());
  if (!secret) {
    throw new RotationError('UnmanagedSecret', `secret ${name} in vault ${vaultName} is not managed`);
  }
  const group = await deps.catalog.resolveGroup(secret.vault, secret.group);
  if (!group || group.secrets.length === 0) {
    throw new RotationError(
      'ConfigInvalid',
      `credential group ${secret.group} of secret ${secret.name} is unknown`,
    );
  }
  return { secret, group };
}

/** A queued or running run of the group, if any (the journal lists a group's runs oldest first). */
export async function inProgressRunOf(
  journal: Journal,
  group: Pick<CredentialGroup, 'vault' | 'id'>,
): Promise<RunRecord | undefined> {
  let busy: RunRecord | undefined;
  for await (const run of journal.list({ vault: group.vault, group: group.id })) {
    if (run.status === 'queued' || run.status === 'running') busy = run;
  }
  return busy;
}
