/** Provider kinds, run phases and run statuses: the vocabulary DESIGN.md fixes. */

export const AUTOMATIC_PROVIDER_KINDS = [
  'azure-cognitive-services',
  'azure-communication',
  'jwt-secret',
] as const;
export const MANUAL_PROVIDER_KINDS = [
  'together-ai',
  'groq',
  'deepseek',
  'qwen',
  'razorpay',
  'recaptcha',
  'mongodb',
] as const;
export const PROVIDER_KINDS = [...AUTOMATIC_PROVIDER_KINDS, ...MANUAL_PROVIDER_KINDS] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export function isProviderKind(value: string): value is ProviderKind {
  return (PROVIDER_KINDS as readonly string[]).includes(value);
}

/** Phases in order. A run's `phase` is the last one it completed; each change is journaled first. */
export const RUN_PHASES = [
  'queued',
  'claimed',
  'issued',
  'validated',
  'promoted',
  'propagated',
  'revoked',
  'done',
] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

export const RUN_STATUSES = [
  'queued',
  'running',
  'done',
  'revoked',
  'skipped',
  'failed',
  'manual-action-required',
  'propagated-with-errors',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Tag names the rotator writes on every version (DESIGN.md, Tags). Read case-insensitively. */
export const TAGS = {
  rotatedBy: 'RotatedBy',
  rotationId: 'RotationId',
  provider: 'Provider',
  credentialId: 'CredentialId',
  validityPeriodDays: 'ValidityPeriodDays',
  providerAddress: 'ProviderAddress',
} as const;
export const ROTATED_BY_VALUE = 'key-vault-rotator';
/** Key Vault allows at most 15 tags per secret version. */
export const MAX_TAGS = 15;

/** Reads a tag case-insensitively (Microsoft's samples and users spell them differently). */
export function readTag(tags: Record<string, string> | undefined, name: string): string | undefined {
  if (!tags) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(tags)) {
    if (key.trim().toLowerCase() === wanted) return value;
  }
  return undefined;
}
