/** Run identity: deterministic from (vault, credential group, version current at trigger time). */
import { createHash } from 'node:crypto';

/** The trigger version used when the named secret has no version yet (first issue). */
export const NO_VERSION = 'none';

/**
 * Same inputs (names compared case-insensitively) give the same id, so a duplicate or late trigger maps
 * to the run that already exists. 32 lowercase hex characters (128 bits of SHA-256): URL- and Table-key-safe.
 */
export function createRunIdentity(vault: string, group: string, triggerVersion: string): string {
  const material = [vault, group, triggerVersion].map((part) => part.trim().toLowerCase()).join('\n');
  return createHash('sha256').update(material).digest('hex').slice(0, 32);
}

/** Lease key for a credential group: `<vault>/<group>` in container `rotation-locks`. */
export function groupLeaseKey(vault: string, group: string): string {
  return `${vault.toLowerCase()}/${group.toLowerCase()}`;
}
