/**
 * Credential groups: every secret holding a key of one provider resource rotates together, so no
 * rotation kills a key a sibling still serves (DESIGN.md).
 */
import { type ErrorDetail, RotationError } from '../errors.js';
import type { CredentialGroup, ManagedSecret } from '../model.js';
import { listOf, secretPath } from './issues.js';

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

/**
 * Shared settings of a group: providers receive one settings object per group (e.g. Communication's
 * `holds` says what every secret of the group stores), so differing values are reported; first wins.
 */
export function mergeGroupSettings(secrets: readonly ManagedSecret[]): {
  settings: Record<string, unknown>;
  conflicts: SettingsConflict[];
} {
  const settings: Record<string, unknown> = {};
  const owner: Record<string, string> = {};
  const conflicts: SettingsConflict[] = [];
  for (const secret of secrets) {
    for (const [k, value] of Object.entries(secret.settings)) {
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

/** Case-insensitive order of Key Vault names. */
export function compare(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Groups secrets per vault: an explicit `group`; else the same provider and provider resource; else
 * alone. A secret without `group` whose resource an explicit group already holds joins that group.
 */
export function resolveGroups(
  secrets: ManagedSecret[],
  explicitSecrets: Set<ManagedSecret>,
  details: ErrorDetail[],
): CredentialGroup[] {
  const groups: CredentialGroup[] = [];
  const vaults = [...new Set(secrets.map((s) => s.vault))].sort();
  for (const vault of vaults) {
    const inVault = secrets.filter((s) => s.vault === vault);
    const explicit = new Map<string, ManagedSecret[]>();
    const loose: ManagedSecret[] = [];
    for (const secret of inVault) {
      if (explicitSecrets.has(secret)) push(explicit, secret.group, secret);
      else loose.push(secret);
    }
    // Which explicit group holds which resource.
    const resourceOwner = new Map<string, string>();
    for (const [id, members] of explicit) {
      checkExplicitGroup(id, members, details);
      for (const member of members) {
        const resource = resourceOf(member);
        if (resource === undefined) continue;
        const rkey = `${member.provider} ${resource}`;
        const other = resourceOwner.get(rkey);
        if (other !== undefined && other !== id) {
          details.push({
            path: secretPath(member.name, 'group'),
            message: `groups "${other}" and "${id}" hold keys of the same resource; one rotation would revoke the key the other serves — use one group`,
          });
        } else resourceOwner.set(rkey, id);
      }
    }
    const byResource = new Map<string, ManagedSecret[]>();
    const final = new Map<string, ManagedSecret[]>();
    for (const [id, members] of explicit) final.set(id, [...members]);
    for (const secret of loose) {
      const resource = resourceOf(secret);
      if (resource === undefined) {
        addGroup(final, secret.name.toLowerCase(), [secret], details);
        continue;
      }
      const rkey = `${secret.provider} ${resource}`;
      const owner = resourceOwner.get(rkey);
      if (owner !== undefined) final.get(owner)!.push(secret);
      else push(byResource, rkey, secret);
    }
    for (const members of byResource.values()) {
      const id = members.map((m) => m.name.toLowerCase()).sort()[0]!;
      addGroup(final, id, members, details);
    }
    for (const [id, members] of [...final].sort(([a], [b]) => compare(a, b))) {
      const { group, conflicts } = buildGroup(vault, id, members);
      // A clash of resource ids is reported by checkExplicitGroup already.
      for (const conflict of conflicts.filter((c) => c.key !== 'resourceId')) {
        details.push({
          path: secretPath(conflict.secrets[1], 'settings', conflict.key),
          message: `differs from "${conflict.secrets[0]}" in the same credential group "${id}"; a group rotates with one set of settings`,
        });
      }
      checkParts(group, details);
      groups.push(group);
    }
  }
  return groups;
}

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

function addGroup(
  final: Map<string, ManagedSecret[]>,
  id: string,
  members: ManagedSecret[],
  details: ErrorDetail[],
) {
  if (final.has(id)) {
    details.push({
      path: secretPath(members[0]!.name),
      message: `its credential group id "${id}" is also the name of an explicit group; rename the group`,
    });
    return;
  }
  final.set(id, members);
}

function checkExplicitGroup(id: string, members: ManagedSecret[], details: ErrorDetail[]): void {
  const [first, ...rest] = members;
  if (!first) return;
  const providerClash = rest.find((m) => m.provider !== first.provider);
  if (providerClash) {
    details.push({
      path: secretPath(providerClash.name, 'provider'),
      message: `group "${id}" mixes providers: "${first.name}" uses ${first.provider}, "${providerClash.name}" uses ${providerClash.provider}`,
    });
  }
  const withResource = members.filter((m) => resourceOf(m) !== undefined);
  const resourceClash = withResource.find((m) => resourceOf(m) !== resourceOf(withResource[0]!));
  if (resourceClash) {
    details.push({
      path: secretPath(resourceClash.name, 'settings', 'resourceId'),
      message: `group "${id}" mixes provider resources: "${withResource[0]!.name}" and "${resourceClash.name}" name different resources`,
    });
  }
}

function checkParts(group: CredentialGroup, details: ErrorDetail[]): void {
  const withPart = group.secrets.filter((s) => s.part !== undefined);
  if (withPart.length === 0) return;
  const seen = new Map<string, string>();
  for (const secret of group.secrets) {
    if (secret.part === undefined) {
      details.push({
        path: secretPath(secret.name, 'part'),
        message: `is required: other secrets of group "${group.id}" name their part (${listOf(withPart.map((s) => s.part!))})`,
      });
      continue;
    }
    const other = seen.get(secret.part);
    if (other !== undefined) {
      details.push({
        path: secretPath(secret.name, 'part'),
        message: `part "${secret.part}" is already held by "${other}" in group "${group.id}"`,
      });
    } else seen.set(secret.part, secret.name);
  }
}
