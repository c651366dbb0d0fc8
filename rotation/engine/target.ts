/**
 * From a trigger's request to the run it maps to: the managed secret, its credential group, the trigger
 * version (the named secret's current version when the trigger gave none) and the run id.
 *
 * A trigger reads the named secret's current version fresh, once: to name the run, or to check that the
 * event's version is still current. A secret managed by Microsoft's tags alone also needs that version's
 * tags for the catalog to tell its provider; a trigger that will read the current version anyway reads it
 * first (`readCurrent`), hands its tags to the catalog and passes the read on, so the secret costs one Key
 * Vault read in all, like a configured one.
 */
import { RotationError } from '../errors.js';
import type {
  CredentialGroup,
  Journal,
  ManagedSecret,
  RunRequest,
  SecretCatalog,
  SecretStore,
  SecretVersion,
} from '../ports.js';
import { createRunIdentity, NO_VERSION } from './identity.js';
import { isUnfinished } from './policy.js';
import { rotationIdOf } from './tags.js';

export interface RunTarget {
  secret: ManagedSecret;
  group: CredentialGroup;
  triggerVersion: string;
  runId: string;
  /** The named secret's current version when it was read here (undefined: not read, or no version). */
  currentVersion?: string;
  /** True when the identity came from the `RotationId` tag of the current version (an unfinished run). */
  resumedFromTag: boolean;
}

/** A fresh read of the named secret's current version, taken by this trigger (`undefined`: none). */
export interface CurrentRead {
  readonly version: SecretVersion | undefined;
}

/**
 * Reads the current version of `vault/name` fresh (never from a cache) and hands its tags to the catalog,
 * so resolving the secret next costs no Key Vault read. Pass the result to `resolveTarget` or
 * `enqueueRotation`, which then use it instead of reading again. Only for a vault the catalog serves.
 */
export async function readCurrent(
  deps: { catalog: SecretCatalog; store: SecretStore },
  vault: string,
  name: string,
): Promise<CurrentRead> {
  const version = await deps.store.getCurrent(vault.trim().toLowerCase(), name.trim());
  deps.catalog.primeTags?.(vault.trim().toLowerCase(), name.trim(), version?.tags);
  return { version };
}

export function checkRequest(request: RunRequest): void {
  const problems: { path: string; message: string }[] = [];
  if (typeof request.vault !== 'string' || request.vault.trim() === '') {
    problems.push({ path: 'vault', message: 'required' });
  }
  if (typeof request.secret !== 'string' || request.secret.trim() === '') {
    problems.push({ path: 'secret', message: 'required' });
  }
  if (request.triggerVersion !== undefined && !/^[A-Za-z0-9]{1,64}$/.test(request.triggerVersion)) {
    problems.push({ path: 'triggerVersion', message: 'must be a Key Vault version id' });
  }
  if (typeof request.requestedAt !== 'string' || Number.isNaN(Date.parse(request.requestedAt))) {
    problems.push({ path: 'requestedAt', message: 'must be an ISO 8601 time' });
  }
  if (problems.length > 0) {
    throw new RotationError('BadRequest', 'invalid run request', { details: problems });
  }
}

/**
 * `read`: this trigger's fresh read of the secret's current version (`readCurrent`), used instead of
 * reading again; without it the current version is read here when the request names none.
 */
export async function resolveTarget(
  deps: { catalog: SecretCatalog; store: SecretStore; journal: Journal },
  request: RunRequest,
  read?: CurrentRead,
): Promise<RunTarget> {
  checkRequest(request);
  const vault = request.vault.trim().toLowerCase();
  let secret = await deps.catalog.resolveSecret(vault, request.secret.trim());
  if (!secret) {
    throw new RotationError('UnmanagedSecret', `secret ${request.secret} in vault ${vault} is not managed`);
  }
  let group = await groupOf(deps.catalog, secret);
  // A request that names its run (a resume by the sweep, a hand-over's propagation) continues it while it
  // is unfinished: a run's id is not always the one its trigger version names (a hand-over whose version's
  // run had finished gets an id of its own). A finished or foreign run is resolved as any request is.
  const named = request.runId && (request.action ?? 'rotate') === 'rotate' ? request.runId : undefined;
  if (named) {
    const row = await deps.journal.get(named, { vault: group.vault, group: group.id });
    if (row && row.run.vault === group.vault && row.run.group === group.id && isUnfinished(row.run)) {
      return {
        secret,
        group,
        triggerVersion: row.run.triggerVersion,
        runId: row.run.id,
        resumedFromTag: false,
      };
    }
  }
  if (request.triggerVersion) {
    const triggerVersion = request.triggerVersion.toLowerCase();
    return {
      secret,
      group,
      triggerVersion,
      runId: createRunIdentity(group.vault, group.id, triggerVersion),
      resumedFromTag: false,
    };
  }
  const current = read ? read.version : await deps.store.getCurrent(group.vault, secret.name);
  ({ secret, group } = await reinferFromRead(deps.catalog, secret, group, current?.tags));
  const currentVersion = current?.version.toLowerCase();
  // A version we wrote for a run that has not finished (a failed or interrupted promotion): the
  // trigger continues that run, so siblings end on the same key. Compromise always starts afresh.
  const owner = request.compromised ? undefined : rotationIdOf(current?.tags);
  if (owner) {
    const row = await deps.journal.get(owner);
    if (row && row.run.vault === group.vault && row.run.group === group.id && isUnfinished(row.run)) {
      return {
        secret,
        group,
        triggerVersion: row.run.triggerVersion,
        runId: owner,
        ...(currentVersion ? { currentVersion } : {}),
        resumedFromTag: true,
      };
    }
  }
  const triggerVersion = currentVersion ?? NO_VERSION;
  return {
    secret,
    group,
    triggerVersion,
    runId: createRunIdentity(group.vault, group.id, triggerVersion),
    ...(currentVersion ? { currentVersion } : {}),
    resumedFromTag: false,
  };
}

async function groupOf(catalog: SecretCatalog, secret: ManagedSecret): Promise<CredentialGroup> {
  const group = await catalog.resolveGroup(secret.vault, secret.group);
  if (!group || group.secrets.length === 0) {
    throw new RotationError(
      'ConfigInvalid',
      `credential group ${secret.group} of secret ${secret.name} is unknown`,
    );
  }
  return group;
}

/**
 * A secret managed by its tags alone was resolved from tags the catalog cached or was handed from a
 * listing (`primeTags`), possibly older than the version just read to name the run. Hand the catalog the
 * read's tags and resolve again, so the run follows the version that names it (tags removed since: not
 * managed). No Key Vault call: the catalog answers from what it was just given.
 */
async function reinferFromRead(
  catalog: SecretCatalog,
  secret: ManagedSecret,
  group: CredentialGroup,
  tags: Record<string, string> | undefined,
): Promise<{ secret: ManagedSecret; group: CredentialGroup }> {
  if (secret.source !== 'tags' || !catalog.primeTags) return { secret, group };
  catalog.primeTags(secret.vault, secret.name, tags);
  const again = await catalog.resolveSecret(secret.vault, secret.name);
  if (!again) {
    throw new RotationError(
      'UnmanagedSecret',
      `secret ${secret.name} in vault ${secret.vault} is not managed: ${tags ? 'its current version has no rotation tags' : 'it has no current version'}`,
    );
  }
  return { secret: again, group: await groupOf(catalog, again) };
}
