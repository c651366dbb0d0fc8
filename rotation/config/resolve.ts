/**
 * Rules that span entries of `rotation.json`, and the resolution into the engine's model: vault
 * selection, references to consumers and channels, Key Vault naming, credential groups.
 */
import type { ErrorDetail } from '../errors.js';
import type { ManagedSecret, VaultConfig } from '../model.js';
import { buildGroup, compare, resolveGroups } from './groups.js';
import { didYouMean, jsonPath, key, listOf, secretPath } from './issues.js';
import type { ChannelConfig, ConsumerConfig } from './schema.js';
import type { ParsedSections } from './sections.js';
import { inferFromTags, providerForAddress } from './tags.js';
import type { ResolvedConfig } from './types.js';

export interface ResolveOptions {
  /** Against real Azure every vault needs its `url`. */
  requireVaultUrls?: boolean;
  /** Vault URLs by name (e.g. from `.local/endpoints.json`); they replace the file's `url`. */
  vaultUrls?: Record<string, string>;
}

const ARM_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+$/i;
const ARM_RESOURCE_TYPES: Partial<Record<ManagedSecret['provider'], string>> = {
  'azure-cognitive-services': 'Microsoft.CognitiveServices/accounts',
  'azure-communication': 'Microsoft.Communication/communicationServices',
};

export function resolveSections(
  parsed: ParsedSections,
  details: ErrorDetail[],
  options: ResolveOptions = {},
): ResolvedConfig {
  const vaults = resolveVaults(parsed, details, options);
  const vaultNames = vaults.map((v) => v.name);
  const onlyVault = vaultNames.length === 1 ? vaultNames[0] : undefined;

  const consumers = Object.fromEntries(
    [...parsed.consumers].map(([name, c]) => [
      name,
      fillRefs(c, ['consumers', key(name)], vaultNames, details),
    ]),
  ) as Record<string, ConsumerConfig>;
  const channels = Object.fromEntries(
    [...parsed.channels].map(([name, c]) => [
      name,
      fillRefs(c, ['channels', key(name)], vaultNames, details),
    ]),
  ) as Record<string, ChannelConfig>;

  const explicit = new Set<ManagedSecret>();
  const secrets = resolveSecrets(parsed, vaultNames, details, explicit);
  const groups = resolveGroups(secrets, explicit, details);
  const groupedSecrets = groups.flatMap((g) => g.secrets);

  checkDefaults(parsed, details);
  const reminders = [...new Set(parsed.reminders)].sort((a, b) => b - a);
  if (reminders.length !== parsed.reminders.length) {
    details.push({ path: '$.reminders', message: 'lists the same day twice' });
  }

  const byGroup = new Map(groups.map((g) => [`${g.vault}/${g.id}`, g]));
  const bySecret = new Map(groupedSecrets.map((s) => [`${s.vault}/${s.name.toLowerCase()}`, s]));
  const allChannels = Object.keys(channels).sort();
  const config: ResolvedConfig = {
    vaults,
    groups,
    secrets: groupedSecrets.sort((a, b) => compare(a.vault, b.vault) || compare(a.name, b.name)),
    consumers,
    channels,
    defaults: parsed.defaults,
    reminders,
    defaultVault: onlyVault,
    findSecret: (vault, name) => bySecret.get(`${vault.toLowerCase()}/${name.toLowerCase()}`),
    findGroup: (vault, groupId) => byGroup.get(`${vault.toLowerCase()}/${groupId.toLowerCase()}`),
    resolveSecret(vault, name, tags) {
      const configured = config.findSecret(vault, name);
      if (configured)
        return { secret: configured, group: config.findGroup(configured.vault, configured.group)! };
      if (!vaultNames.includes(vault.toLowerCase())) return undefined;
      const inferred = inferFromTags(vault, name, tags, { defaults: parsed.defaults, channels: allChannels });
      if (!inferred) return undefined;
      const { group } = buildGroup(inferred.vault, inferred.group, [inferred]);
      return { secret: group.secrets[0]!, group };
    },
  };
  return config;
}

function resolveVaults(
  parsed: ParsedSections,
  details: ErrorDetail[],
  options: ResolveOptions,
): VaultConfig[] {
  const overrides = new Map(
    Object.entries(options.vaultUrls ?? {}).map(([n, url]) => [n.toLowerCase(), url]),
  );
  const vaults: VaultConfig[] = [];
  for (const { index, vault } of parsed.vaults) {
    const name = vault.name.toLowerCase();
    if (vaults.some((v) => v.name === name)) {
      details.push({ path: jsonPath(['vaults', index, 'name']), message: `vault "${name}" is listed twice` });
      continue;
    }
    const url = overrides.get(name) ?? vault.url;
    if (url === undefined && options.requireVaultUrls) {
      details.push({
        path: jsonPath(['vaults', index, 'url']),
        message: 'is required against real Azure, e.g. https://my-vault.vault.azure.net/',
      });
    }
    vaults.push(url === undefined ? { name } : { name, url });
  }
  return vaults;
}

/** Picks the vault of a `{ secretRef }` that names none; checks a named one exists. */
function refVault(
  given: string | undefined,
  fallback: string | undefined,
  vaultNames: string[],
  path: string,
  details: ErrorDetail[],
): string | undefined {
  if (given !== undefined) {
    const name = given.toLowerCase();
    if (!vaultNames.includes(name)) {
      details.push({
        path: `${path}.vault`,
        message: `unknown vault "${given}"; configured vaults: ${listOf(vaultNames)}`,
      });
    }
    return name;
  }
  if (fallback !== undefined) return fallback;
  if (vaultNames.length === 1) return vaultNames[0];
  if (vaultNames.length > 1) {
    details.push({
      path: `${path}.vault`,
      message: `is required when several vaults are configured (${listOf(vaultNames)})`,
    });
  }
  return undefined;
}

/** Copies an object, giving each top-level `{ secretRef }` value its vault. */
function fillRefs<T extends object>(
  value: T,
  prefix: (string | { key: string })[],
  vaultNames: string[],
  details: ErrorDetail[],
  fallbackVault?: string,
): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      typeof (v as { secretRef?: unknown }).secretRef === 'string'
    ) {
      const ref = v as { secretRef: string; vault?: unknown };
      const given = typeof ref.vault === 'string' ? ref.vault : undefined;
      const vault = refVault(given, fallbackVault, vaultNames, jsonPath([...prefix, k]), details);
      out[k] = vault === undefined ? { ...ref } : { ...ref, vault };
    } else out[k] = v;
  }
  return out as T;
}

/** Resolves valid entries; `explicit` receives the secrets that name their `group`. */
function resolveSecrets(
  parsed: ParsedSections,
  vaultNames: string[],
  details: ErrorDetail[],
  explicit: Set<ManagedSecret>,
): ManagedSecret[] {
  const secrets: ManagedSecret[] = [];
  const seen = new Map<string, string>();
  for (const { name, entry } of parsed.secrets) {
    let vault: string | undefined;
    if (entry.vault !== undefined) {
      vault = entry.vault.toLowerCase();
      if (!vaultNames.includes(vault)) {
        details.push({
          path: secretPath(name, 'vault'),
          message: `unknown vault "${entry.vault}"; configured vaults: ${listOf(vaultNames)}${didYouMean(vault, vaultNames)}`,
        });
        vault = undefined;
      }
    } else if (vaultNames.length === 1) vault = vaultNames[0];
    else if (vaultNames.length > 1) {
      details.push({
        path: secretPath(name, 'vault'),
        message: `is required when several vaults are configured (${listOf(vaultNames)})`,
      });
    }

    checkRefs(name, 'consumers', entry.consumers, parsed.consumerNames, details);
    checkRefs(name, 'channels', entry.channels, parsed.channelNames, details);
    checkResource(name, entry.provider, entry.settings, details);

    const validityDays = entry.validityDays ?? parsed.defaults.validityDays;
    const minIntervalHours = entry.minIntervalHours ?? parsed.defaults.minIntervalHours;
    if (minIntervalHours >= validityDays * 24) {
      details.push({
        path: secretPath(name, entry.minIntervalHours === undefined ? 'validityDays' : 'minIntervalHours'),
        message: `minIntervalHours (${minIntervalHours}) must be shorter than the validity (${validityDays} days)`,
      });
    }
    if (vault === undefined) continue;

    const id = `${vault}/${name.toLowerCase()}`;
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      details.push({
        path: secretPath(name),
        message: `duplicates "${earlier}": Key Vault secret names are case-insensitive`,
      });
      continue;
    }
    seen.set(id, name);
    const secret: ManagedSecret = {
      vault,
      name,
      provider: entry.provider,
      group: (entry.group ?? name).toLowerCase(),
      settings: fillRefs(entry.settings, ['secrets', key(name), 'settings'], vaultNames, details, vault),
      validityDays,
      minIntervalHours,
      graceDays: entry.graceDays ?? parsed.defaults.graceDays,
      consumers: [...new Set(entry.consumers ?? [])],
      channels: [...new Set(entry.channels ?? parsed.channelNames)],
      owners: [...new Set((entry.owners ?? []).map((o) => o.toLowerCase()))],
      source: 'config',
      ...(entry.part === undefined ? {} : { part: entry.part }),
    };
    secrets.push(secret);
    if (entry.group !== undefined) explicit.add(secret);
  }
  return secrets;
}

function checkRefs(
  secret: string,
  field: 'consumers' | 'channels',
  refs: string[] | undefined,
  known: string[],
  details: ErrorDetail[],
): void {
  (refs ?? []).forEach((ref, index) => {
    if (!known.includes(ref)) {
      details.push({
        path: secretPath(secret, field, index),
        message: `unknown ${field.slice(0, -1)} "${ref}"; configured ${field}: ${listOf(known)}${didYouMean(ref, known)}`,
      });
    }
  });
}

function checkResource(
  secret: string,
  provider: ManagedSecret['provider'],
  settings: Record<string, unknown>,
  details: ErrorDetail[],
): void {
  const resourceId = settings.resourceId;
  const path = secretPath(secret, 'settings', 'resourceId');
  const expected = ARM_RESOURCE_TYPES[provider];
  if (resourceId === undefined) {
    if (expected)
      details.push({ path, message: `is required for ${provider}: the ARM id of a ${expected} resource` });
    return;
  }
  if (typeof resourceId !== 'string' || !ARM_ID.test(resourceId.trim())) {
    details.push({
      path,
      message:
        'must be an ARM resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>',
    });
    return;
  }
  if (expected && providerForAddress(resourceId) !== provider) {
    details.push({ path, message: `must be the ARM id of a ${expected} resource for provider ${provider}` });
  }
}

function checkDefaults(parsed: ParsedSections, details: ErrorDetail[]): void {
  const { validityDays, minIntervalHours } = parsed.defaults;
  if (minIntervalHours >= validityDays * 24) {
    details.push({
      path: '$.defaults.minIntervalHours',
      message: `must be shorter than the validity (${validityDays} days)`,
    });
  }
}
