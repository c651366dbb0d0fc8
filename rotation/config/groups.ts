/**
 * Credential groups: every secret holding a key of one provider resource rotates together, so no
 * rotation kills a key a sibling still serves (DESIGN.md).
 */
import { RotationError } from '../errors.js';
import type { CredentialGroup, ManagedSecret } from '../model.js';

/**
 * Settings that legitimately differ between secrets of one group: which form of the credential a
 * secret holds (`holds: 'connectionString' | 'key'` for Communication Services).
 */
export const PER_SECRET_SETTINGS: readonly string[] = ['holds'];

/** The provider resource a secret's key belongs to (`settings.resourceId`, lowercased), if any. */
export function resourceOf(secret: ManagedSecret): string | undefined {
  const id = secret.settings.resourceId;
  return typeof id === 'string' && id.trim() !== '' ? id.trim().toLowerCase() : undefined;
}

export interface SettingsConflict {
  key: string;
  /** Names of two secrets whose values differ. */
  secrets: [string, string];
}

/** Shared settings of a group (per-secret keys left out); conflicting values are reported, first wins. */
export function mergeGroupSettings(secrets: readonly ManagedSecret[]): {
  settings: Record<string, unknown>;
  conflicts: SettingsConflict[];
} {
  const settings: Record<string, unknown> = {};
  const owner: Record<string, string> = {};
  const conflicts: SettingsConflict[] = [];
  for (const secret of secrets) {
    for (const [k, value] of Object.entries(secret.settings)) {
      if (PER_SECRET_SETTINGS.includes(k)) continue;
      if (!(k in settings)) {
        settings[k] = value;
        owner[k] = secret.name;
      } else if (!sameValue(settings[k], value, k === 'resourceId')) {
        if (!conflicts.some((c) => c.key === k))
          conflicts.push({ key: k, secrets: [owner[k]!, secret.name] });
      }
    }
  }
  return { settings, conflicts };
}

function sameValue(a: unknown, b: unknown, caseInsensitive: boolean): boolean {
  if (caseInsensitive && typeof a === 'string' && typeof b === 'string')
    return a.toLowerCase() === b.toLowerCase();
  return JSON.stringify(a) === JSON.stringify(b);
}

function union(lists: readonly string[][]): string[] {
  return [...new Set(lists.flat())].sort();
}

/**
 * Builds a group from its secrets (already sharing one provider). Group policy is the safest of its
 * members: shortest validity, longest spacing and grace; consumers, channels and owners are unions.
 */
export function buildGroup(
  vault: string,
  id: string,
  members: readonly ManagedSecret[],
): { group: CredentialGroup; conflicts: SettingsConflict[] } {
  const secrets = [...members]
    .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
    .map((secret) => ({ ...secret, group: id }));
  const first = secrets[0];
  if (first === undefined)
    throw new RotationError('InternalError', `credential group "${id}" has no secrets`);
  const { settings, conflicts } = mergeGroupSettings(secrets);
  const group: CredentialGroup = {
    vault,
    id,
    provider: first.provider,
    settings,
    secrets,
    validityDays: Math.min(...secrets.map((s) => s.validityDays)),
    minIntervalHours: Math.max(...secrets.map((s) => s.minIntervalHours)),
    graceDays: Math.max(...secrets.map((s) => s.graceDays ?? 0)),
    consumers: union(secrets.map((s) => s.consumers)),
    channels: union(secrets.map((s) => s.channels)),
    owners: union(secrets.map((s) => s.owners)),
  };
  return { group, conflicts };
}
