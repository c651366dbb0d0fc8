/**
 * Values seeded into the local vaults, generated at run time and valid at their emulated provider:
 * key-pair secrets hold the resource's current ARM key (key1 / Primary, or its connection string), JWT
 * secrets fresh random bytes, manual providers a credential minted by the emulator's data plane, MongoDB a
 * loopback connection string with a random password. Values never leave this module except into Key Vault.
 */
import { randomBytes } from 'node:crypto';
import type { ProviderKind } from '../../rotation/kinds.js';
import type { ManagedSecret } from '../../rotation/model.js';
import type { ManualDataPlaneKind } from '../emulator/dataplanes/index.js';
import type { EmulatorControl } from '../emulator/index.js';

/** One credential of a group; each secret of the group stores `value` or one of `parts`. */
export interface GroupCredential {
  value: string;
  parts?: Record<string, string>;
  /** The `CredentialId` tag (DESIGN.md, Tags). */
  credentialId: string;
  /** The `ProviderAddress` tag: the ARM id, for providers that have one. */
  providerAddress?: string;
}

const MINTED_KINDS: Record<string, ManualDataPlaneKind> = {
  'together-ai': 'together-ai',
  groq: 'groq',
  deepseek: 'deepseek',
  qwen: 'qwen',
  razorpay: 'razorpay',
  recaptcha: 'recaptcha',
};

/** The first generation of a manually minted credential (DESIGN.md: `gen-N`). */
export const FIRST_GENERATION = 'gen-1';

export class SeedValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedValueError';
  }
}

/** A MongoDB connection string for a local server, with a random password (base64url needs no escaping). */
export function localMongoConnectionString(): string {
  return `mongodb://rotator:${randomBytes(18).toString('base64url')}@127.0.0.1:27017/app?authSource=admin`;
}

/** A JWT signing secret as the jwt-secret provider generates it by default (64 random bytes, base64url). */
export function jwtSigningSecret(lengthBytes = 64): string {
  return randomBytes(lengthBytes).toString('base64url');
}

function resourceIdOf(secret: ManagedSecret): string {
  const id = secret.settings.resourceId;
  if (typeof id !== 'string')
    throw new SeedValueError(`secret ${secret.name}: settings.resourceId is missing`);
  return id;
}

function jwtLength(secret: ManagedSecret): number {
  const length = secret.settings.lengthBytes;
  return typeof length === 'number' && Number.isInteger(length) && length >= 32 ? length : 64;
}

/** The credential a whole group shares (one key, one minted pair, one signing secret). */
export function groupCredential(
  provider: ProviderKind,
  secrets: readonly ManagedSecret[],
  control: EmulatorControl,
): GroupCredential {
  const first = secrets[0];
  if (!first) throw new SeedValueError('a credential group has no secrets');
  switch (provider) {
    case 'azure-cognitive-services': {
      const id = resourceIdOf(first);
      return { value: control.arm.cognitiveKeys(id).key1, credentialId: 'key1', providerAddress: id };
    }
    case 'azure-communication': {
      const id = resourceIdOf(first);
      const keys = control.arm.communicationKeys(id);
      const holdsKey = first.settings.holds === 'key';
      return {
        value: holdsKey ? keys.primaryKey : keys.primaryConnectionString,
        credentialId: 'Primary',
        providerAddress: id,
      };
    }
    case 'jwt-secret':
      return {
        value: jwtSigningSecret(jwtLength(first)),
        credentialId: randomBytes(16).toString('base64url'),
      };
    case 'mongodb':
      return { value: localMongoConnectionString(), credentialId: FIRST_GENERATION };
    default: {
      const kind = MINTED_KINDS[provider];
      if (kind === undefined) throw new SeedValueError(`no local value generator for provider ${provider}`);
      const minted = control.dataPlanes.mintCredential(kind);
      const parts =
        minted.keyId !== undefined && minted.keySecret !== undefined
          ? { keyId: minted.keyId, keySecret: minted.keySecret }
          : undefined;
      return { value: minted.value, ...(parts ? { parts } : {}), credentialId: FIRST_GENERATION };
    }
  }
}

/** What one secret of the group stores: its `part` when it names one, else the whole value. */
export function valueForSecret(secret: ManagedSecret, credential: GroupCredential): string {
  if (secret.part === undefined) return credential.value;
  const part = credential.parts?.[secret.part];
  if (part === undefined) {
    throw new SeedValueError(
      `secret ${secret.name}: provider ${secret.provider} has no part "${secret.part}"`,
    );
  }
  return part;
}

/** Microsoft's rotation tags (`CredentialId`, `ProviderAddress`, `ValidityPeriodDays`) for a seeded version. */
export function seedTags(secret: ManagedSecret, credential: GroupCredential): Record<string, string> {
  return {
    CredentialId: credential.credentialId,
    ...(credential.providerAddress ? { ProviderAddress: credential.providerAddress } : {}),
    ValidityPeriodDays: String(secret.validityDays),
  };
}
