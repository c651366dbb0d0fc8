/**
 * The credential a human hands over, as the engine promotes it: the value each secret of the group gets
 * (a multi-part credential such as Razorpay's key id + key secret travels as `parts`), and its
 * `CredentialId`, `gen-N` — N is one more than the highest generation the group's versions carry.
 */
import { RotationError } from '../errors.js';
import { readTag, TAGS } from '../kinds.js';
import type { CredentialGroup, IssuedCredential, ManagedSecret } from '../ports.js';

const GENERATION = /^gen-(\d{1,9})$/i;

/** N of a `gen-N` credential id; undefined for any other id. */
export function generationOf(credentialId: string | undefined): number | undefined {
  const match = credentialId ? GENERATION.exec(credentialId.trim()) : null;
  return match ? Number(match[1]) : undefined;
}

/** `gen-(N+1)` after the highest `gen-N` among the tag sets (`CredentialId`, any case); `gen-1` when none. */
export function nextGeneration(tagSets: Iterable<Record<string, string> | undefined>): string {
  let highest = 0;
  for (const tags of tagSets)
    highest = Math.max(highest, generationOf(readTag(tags, TAGS.credentialId)) ?? 0);
  return `gen-${highest + 1}`;
}

export interface HumanCredential {
  credential: IssuedCredential;
  /** The value each secret of the group gets, by secret name as configured. */
  values: Map<string, string>;
}

/**
 * Works out what every secret of the group gets from the values given for some of them (`given`, by
 * secret name, compared case-insensitively). Secrets without a part share one value; a part nobody gave
 * comes from `fallback` (what Key Vault serves for it now). Throws `BadRequest` naming the problem.
 */
export function groupValues(
  group: Pick<CredentialGroup, 'id' | 'secrets'>,
  named: ManagedSecret,
  given: Map<string, string>,
  fallback: (secret: ManagedSecret) => string | undefined,
  credentialId: string,
): HumanCredential {
  const lookup = (secret: ManagedSecret) => given.get(secret.name.toLowerCase());
  const main = lookup(named);
  if (main === undefined) throw new RotationError('InternalError', `no value given for ${named.name}`);
  const shared =
    named.part === undefined
      ? main
      : group.secrets.map(lookup).find((v, i) => v !== undefined && group.secrets[i]!.part === undefined);
  const parts: Record<string, string> = {};
  const values = new Map<string, string>();
  for (const secret of group.secrets) {
    let value = lookup(secret);
    if (secret.part === undefined) {
      value ??= shared ?? fallback(secret);
      if (shared !== undefined && value !== shared) {
        throw new RotationError(
          'BadRequest',
          `secrets ${named.name} and ${secret.name} of group ${group.id} hold one credential: give them the same value`,
          { details: [{ path: `$.with["${secret.name}"]`, message: 'differs from the value of the group' }] },
        );
      }
    } else {
      value ??= parts[secret.part] ?? fallback(secret);
      const other = parts[secret.part];
      if (other !== undefined && other !== value) {
        throw new RotationError(
          'BadRequest',
          `two values were given for part ${secret.part} of group ${group.id}`,
          {
            details: [{ path: `$.with["${secret.name}"]`, message: `conflicts with another ${secret.part}` }],
          },
        );
      }
    }
    if (value === undefined) {
      throw new RotationError(
        'BadRequest',
        `secret ${secret.name} (${secret.part ?? 'same credential'}) has no value in Key Vault: give it in "with"`,
        { details: [{ path: `$.with["${secret.name}"]`, message: 'required' }] },
      );
    }
    if (secret.part !== undefined) parts[secret.part] = value;
    values.set(secret.name, value);
  }
  const credential: IssuedCredential = {
    value: main,
    credentialId,
    ...(Object.keys(parts).length > 0 ? { parts } : {}),
  };
  return { credential, values };
}
