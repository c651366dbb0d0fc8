/**
 * Microsoft's Key Vault rotation samples mark a secret with `CredentialId`, `ProviderAddress` and
 * `ValidityPeriodDays` tags instead of any config. DESIGN.md: such a secret is still rotated.
 */
import { isProviderKind, type ProviderKind, readTag, TAGS } from '../kinds.js';
import type { ManagedSecret } from '../model.js';
import { type ConfigDefaults, MIN_VALIDITY_DAYS } from './schema.js';

const BUILTIN_DEFAULTS: ConfigDefaults = { validityDays: 90, minIntervalHours: 24, graceDays: 7 };

/** Provider resource types recognised in `ProviderAddress`, matched case-insensitively. */
const ADDRESS_PROVIDERS: { segment: string; provider: ProviderKind }[] = [
  { segment: '/providers/microsoft.cognitiveservices/accounts/', provider: 'azure-cognitive-services' },
  { segment: '/providers/microsoft.communication/communicationservices/', provider: 'azure-communication' },
];

/** Provider kind for an ARM id, or undefined when the resource type is not one we rotate. */
export function providerForAddress(address: string): ProviderKind | undefined {
  const lower = address.toLowerCase();
  return ADDRESS_PROVIDERS.find((entry) => lower.includes(entry.segment))?.provider;
}

export interface InferOptions {
  /** Policy defaults from the config (validity when the tag is unreadable, spacing, grace). */
  defaults?: ConfigDefaults;
  /** Channels alerted for inferred secrets: every configured channel. */
  channels?: string[];
}

/**
 * A `ManagedSecret` (`source: 'tags'`) for a secret carrying Microsoft's rotation tags, or undefined
 * when a tag is missing or the provider cannot be told (from `ProviderAddress`, else the `Provider` tag).
 * The caller checks that the secret has no config entry. The secret forms a group of its own.
 */
export function inferFromTags(
  vault: string,
  name: string,
  tags: Record<string, string> | undefined,
  options: InferOptions = {},
): ManagedSecret | undefined {
  const credentialId = readTag(tags, TAGS.credentialId)?.trim();
  const address = readTag(tags, TAGS.providerAddress)?.trim();
  const validityTag = readTag(tags, TAGS.validityPeriodDays)?.trim();
  if (!credentialId || !address || validityTag === undefined) return undefined;
  const providerTag = readTag(tags, TAGS.provider)?.trim().toLowerCase();
  const provider =
    providerForAddress(address) ??
    (providerTag !== undefined && isProviderKind(providerTag) ? providerTag : undefined);
  if (provider === undefined) return undefined;
  const defaults = options.defaults ?? BUILTIN_DEFAULTS;
  const tagged = /^\d+$/.test(validityTag) ? Number(validityTag) : Number.NaN;
  const validityDays = Number.isSafeInteger(tagged)
    ? Math.max(MIN_VALIDITY_DAYS, tagged)
    : defaults.validityDays;
  return {
    vault: vault.toLowerCase(),
    name,
    provider,
    group: name.toLowerCase(),
    settings: { resourceId: address },
    validityDays,
    minIntervalHours: defaults.minIntervalHours,
    graceDays: defaults.graceDays,
    consumers: [],
    channels: [...(options.channels ?? [])],
    owners: [],
    source: 'tags',
  };
}
