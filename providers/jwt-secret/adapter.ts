/**
 * `jwt-secret`: a signing secret that lives only in Key Vault. Issue draws fresh bytes from the OS
 * CSPRNG; validate signs and verifies a token with `jose`; the `CredentialId` is a new random `kid`.
 * Rotation never disables the previous version at once — tokens signed with it must keep verifying for
 * `graceDays`; the daily sweep calls `disableExpiredJwtVersions`. Compromise revokes every previous
 * version immediately. There is no `retrieve`: the secret exists nowhere else.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { describeError } from '../../rotation/errors.js';
import { readTag, TAGS } from '../../rotation/kinds.js';
import type {
  CredentialGroup,
  CredentialProvider,
  IssuedCredential,
  SecretStore,
  SecretVersionProperties,
  ValidationResult,
} from '../../rotation/ports.js';
import { type JwtSecretSettings, jwtSecretSettings, MIN_KEY_BYTES } from './settings.js';

const ENCODED_FORMS: Record<JwtSecretSettings['encoding'], RegExp> = {
  hex: /^(?:[0-9a-fA-F]{2})+$/,
  base64: /^[A-Za-z0-9+/]+={0,2}$/,
  base64url: /^[A-Za-z0-9_-]+$/,
};

/** The key bytes a consumer derives from the stored string, or why the string is unusable. */
export function signingKey(value: string, settings: JwtSecretSettings): Uint8Array | { problem: string } {
  if (settings.keyFormat === 'utf8') return new TextEncoder().encode(value);
  if (!ENCODED_FORMS[settings.encoding].test(value)) {
    return { problem: `the secret is not valid ${settings.encoding}` };
  }
  return new Uint8Array(Buffer.from(value, settings.encoding));
}

/** A new url-safe key id (128 random bits). */
export function newKid(): string {
  return randomBytes(16).toString('base64url');
}

export function generateSigningSecret(settings: JwtSecretSettings): string {
  return randomBytes(settings.lengthBytes).toString(settings.encoding);
}

async function validateSecret(
  settings: JwtSecretSettings,
  credential: IssuedCredential,
  now: Date,
): Promise<ValidationResult> {
  const key = signingKey(credential.value, settings);
  if (!(key instanceof Uint8Array)) return { ok: false, outcome: 'rejected', reason: key.problem };
  const min = MIN_KEY_BYTES[settings.algorithm];
  if (key.byteLength < min) {
    return {
      ok: false,
      outcome: 'rejected',
      reason: `${settings.algorithm} needs a key of at least ${min} bytes; this one has ${key.byteLength}`,
    };
  }
  const issuedAt = Math.floor(now.getTime() / 1000);
  try {
    const token = await new SignJWT({ purpose: 'key-vault-rotator validation' })
      .setProtectedHeader({ alg: settings.algorithm, kid: credential.credentialId, typ: 'JWT' })
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + 60)
      .setJti(randomUUID())
      .sign(key);
    const { protectedHeader } = await jwtVerify(token, key, {
      algorithms: [settings.algorithm],
      currentDate: now,
    });
    if (protectedHeader.kid !== credential.credentialId) {
      return { ok: false, outcome: 'rejected', reason: 'verified token carries a different kid' };
    }
    return { ok: true };
  } catch (error) {
    // jose errors name the failed check; they never echo the key.
    return { ok: false, outcome: 'rejected', reason: `sign/verify failed: ${describeError(error).message}` };
  }
}

type VersionProps = SecretVersionProperties & { version: string };

/** Versions of a secret oldest first (Key Vault lists them in no promised order). */
async function versionsOldestFirst(store: SecretStore, vault: string, name: string): Promise<VersionProps[]> {
  const versions: VersionProps[] = [];
  for await (const v of store.listVersions(vault, name)) versions.push(v);
  return versions
    .map((v, index) => ({ v, index }))
    .sort((a, b) => (a.v.createdOn?.getTime() ?? 0) - (b.v.createdOn?.getTime() ?? 0) || a.index - b.index)
    .map(({ v }) => v);
}

export interface DisabledVersion {
  secret: string;
  version: string;
  credentialId?: string;
}

function disabledEntry(secret: string, v: VersionProps): DisabledVersion {
  const credentialId = readTag(v.tags, TAGS.credentialId);
  return credentialId ? { secret, version: v.version, credentialId } : { secret, version: v.version };
}

/**
 * For the daily sweep: disables every enabled version of the group's secrets whose successor was
 * created more than `graceDays` ago — tokens signed with it have had time to expire. The latest
 * (current) version is never disabled.
 */
export async function disableExpiredJwtVersions(
  store: SecretStore,
  group: Pick<CredentialGroup, 'vault' | 'secrets'>,
  now: Date,
  graceDays: number,
): Promise<DisabledVersion[]> {
  const disabled: DisabledVersion[] = [];
  const graceMs = graceDays * 86_400_000;
  for (const secret of group.secrets) {
    const versions = await versionsOldestFirst(store, group.vault, secret.name);
    for (let i = 0; i < versions.length - 1; i++) {
      const version = versions[i]!;
      const successorCreated = versions[i + 1]!.createdOn?.getTime();
      if (!version.enabled || successorCreated === undefined) continue;
      if (now.getTime() - successorCreated > graceMs) {
        await store.updateVersion(group.vault, secret.name, version.version, { enabled: false });
        disabled.push(disabledEntry(secret.name, version));
      }
    }
  }
  return disabled;
}

/** Compromise: disables every version but the current one of every secret of the group, now. */
export async function disableAllPreviousVersions(
  store: SecretStore,
  group: Pick<CredentialGroup, 'vault' | 'secrets'>,
): Promise<DisabledVersion[]> {
  const disabled: DisabledVersion[] = [];
  for (const secret of group.secrets) {
    const versions = await versionsOldestFirst(store, group.vault, secret.name);
    for (const version of versions.slice(0, -1)) {
      if (!version.enabled) continue;
      await store.updateVersion(group.vault, secret.name, version.version, { enabled: false });
      disabled.push(disabledEntry(secret.name, version));
    }
  }
  return disabled;
}

export const jwtSecretProvider: CredentialProvider<JwtSecretSettings> = {
  kind: 'jwt-secret',
  mode: 'automatic',
  issuing: 'in-process', // CSPRNG bytes and a jose sign/verify: nothing leaves the process
  settingsSchema: jwtSecretSettings,
  revokePolicy: 'on-compromise',

  async issue(ctx) {
    return {
      kind: 'issued',
      credential: { value: generateSigningSecret(ctx.settings), credentialId: newKid() },
    };
  },

  async validate(ctx, credential) {
    return validateSecret(ctx.settings, credential, ctx.clock.now());
  },

  async revoke(ctx) {
    const disabled = await disableAllPreviousVersions(ctx.secrets, ctx.group);
    const revoked = [
      ...new Set(disabled.map((d) => (d.credentialId ? `kid:${d.credentialId}` : `version:${d.version}`))),
    ];
    ctx.log.info('jwt-secret: previous versions disabled', { count: disabled.length });
    return { revoked, pendingHuman: [] };
  },
};
