/** Tags the rotator writes, recognises and carries over (DESIGN.md, Tags). Pure helpers. */
import { RotationError } from '../errors.js';
import { MAX_TAGS, type ProviderKind, ROTATED_BY_VALUE, readTag, TAGS } from '../kinds.js';

/** How many tags the rotator may add (counted in full before issuing, whether or not all are used). */
export const ROTATOR_TAG_COUNT = Object.keys(TAGS).length;

const ROTATOR_TAG_NAMES = new Set(Object.values(TAGS).map((t) => t.toLowerCase()));

/**
 * The last 4 characters of a credential, as provider dashboards show. Values shorter than 12 characters
 * give `****`: there the last 4 would be too large a share of the secret.
 */
export function keyHint(value: string): string {
  return value.length < 12 ? '****' : value.slice(-4);
}

export interface RotationTagInput {
  runId: string;
  provider: ProviderKind;
  credentialId: string;
  validityDays: number;
  /** ARM id of the provider resource, when the provider has one. */
  providerAddress?: string;
}

export function buildRotationTags(input: RotationTagInput): Record<string, string> {
  return {
    [TAGS.rotatedBy]: ROTATED_BY_VALUE,
    [TAGS.rotationId]: input.runId,
    [TAGS.provider]: input.provider,
    [TAGS.credentialId]: input.credentialId,
    [TAGS.validityPeriodDays]: String(input.validityDays),
    ...(input.providerAddress ? { [TAGS.providerAddress]: input.providerAddress } : {}),
  };
}

/** True for versions the rotator wrote (`RotatedBy=key-vault-rotator`, names and value case-insensitive). */
export function isRotatorVersion(tags: Record<string, string> | undefined): boolean {
  return readTag(tags, TAGS.rotatedBy)?.trim().toLowerCase() === ROTATED_BY_VALUE;
}

/** The `RotationId` of a version the rotator wrote, else undefined. */
export function rotationIdOf(tags: Record<string, string> | undefined): string | undefined {
  return isRotatorVersion(tags) ? readTag(tags, TAGS.rotationId)?.trim() : undefined;
}

/** The user's own tags: everything except the names the rotator owns (matched case-insensitively). */
export function userTags(tags: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags ?? {})) {
    if (!ROTATOR_TAG_NAMES.has(key.trim().toLowerCase())) out[key] = value;
  }
  return out;
}

/** Tags of a new version: the user's tags carried over, then the rotator's. */
export function mergeTags(
  currentTags: Record<string, string> | undefined,
  rotationTags: Record<string, string>,
): Record<string, string> {
  return { ...userTags(currentTags), ...rotationTags };
}

/**
 * Fails before anything is issued when the user's tags plus the rotator's would pass Key Vault's limit.
 * Counts all rotator tags, so the answer does not depend on what the provider returns later.
 */
export function checkTagBudget(secretName: string, currentTags: Record<string, string> | undefined): void {
  const own = Object.keys(userTags(currentTags)).length;
  if (own + ROTATOR_TAG_COUNT > MAX_TAGS) {
    throw new RotationError(
      'TagLimitExceeded',
      `secret ${secretName} has ${own} tags of its own; with the rotator's ${ROTATOR_TAG_COUNT} that passes ` +
        `Key Vault's limit of ${MAX_TAGS}. Remove ${own + ROTATOR_TAG_COUNT - MAX_TAGS} tag(s).`,
    );
  }
}
