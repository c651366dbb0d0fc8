/** A secret's version history as the hand-set flow reads it: order, what was valid last, what to restore. */
import type { EngineDeps } from '../engine/deps.js';
import { isRotatorVersion } from '../engine/tags.js';
import { readTag, TAGS } from '../kinds.js';
import type { CredentialGroup, ManagedSecret, SecretVersion, SecretVersionProperties } from '../ports.js';
import { generationOf, nextGeneration } from './credential.js';

export type Listed = SecretVersionProperties & { version: string };

export function createdAt(v: { createdOn?: Date | undefined }): number {
  return v.createdOn?.getTime() ?? 0;
}

function generation(v: Listed): number {
  return generationOf(readTag(v.tags, TAGS.credentialId)) ?? 0;
}

/**
 * Versions oldest first. Key Vault dates versions to the second and lists them in no promised order, so
 * versions of the same second are ordered by `gen-N` (a later hand-over has a higher one; a value written
 * back copies an older one).
 */
export async function versionsOf(
  deps: Pick<EngineDeps, 'store'>,
  vault: string,
  name: string,
): Promise<Listed[]> {
  const list: Listed[] = [];
  for await (const v of deps.store.listVersions(vault, name)) list.push(v);
  return list.sort((a, b) => createdAt(a) - createdAt(b) || generation(a) - generation(b));
}

/**
 * The next `CredentialId` of the group: one more than the highest `gen-N` any version of its secrets ever
 * carried (a rollback or a written-back value makes an older generation current again; N never repeats).
 */
export async function nextGenerationOf(
  deps: Pick<EngineDeps, 'store'>,
  group: Pick<CredentialGroup, 'vault' | 'secrets'>,
): Promise<string> {
  const tags: Record<string, string>[] = [];
  for (const secret of group.secrets) {
    for (const v of await versionsOf(deps, group.vault, secret.name)) tags.push(v.tags);
  }
  return nextGeneration(tags);
}

/**
 * What consumers ran on before the hand-set version: the newest enabled version the rotator wrote before
 * it (its value passed the provider's check), else the newest enabled version before it.
 */
export function lastGoodOf(versions: Listed[], handSet: Listed): Listed | undefined {
  const before = versions.filter(
    (v) => v.version !== handSet.version && v.enabled && createdAt(v) <= createdAt(handSet),
  );
  return before.filter((v) => isRotatorVersion(v.tags)).at(-1) ?? before.at(-1);
}

/** Untagged versions tried as a restore target, newest first, when the rotator wrote none yet. */
const MAX_RESTORE_CANDIDATES = 5;

/**
 * The value to put back: the newest enabled version the rotator wrote before the hand-set one (it passed
 * the provider's check when promoted). Before the rotator wrote any, older versions are asked about one by
 * one (newest first): an untagged version may itself be a bad value set by hand whose event came late.
 */
export async function restoreTarget(
  deps: EngineDeps,
  group: CredentialGroup,
  named: ManagedSecret,
  versions: Listed[],
  handSet: Listed,
  check: (value: string) => Promise<boolean>,
): Promise<SecretVersion | undefined> {
  const before = versions.filter(
    (v) => v.version !== handSet.version && v.enabled && createdAt(v) <= createdAt(handSet),
  );
  const tagged = before.filter((v) => isRotatorVersion(v.tags)).at(-1);
  if (tagged) return deps.store.getVersion(group.vault, named.name, tagged.version);
  for (const candidate of before.reverse().slice(0, MAX_RESTORE_CANDIDATES)) {
    const full = await deps.store.getVersion(group.vault, named.name, candidate.version);
    if (full && (await check(full.value))) return full;
  }
  return undefined;
}
