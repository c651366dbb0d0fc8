/**
 * One vault's secrets, with Key Vault's rules: case-insensitive names (the first spelling is kept), 32-hex
 * version ids, integer Unix-second timestamps from the emulator clock, soft delete with 7 recoverable days,
 * and the service limits (name pattern, 25 KB values, 15 tags). "Current" is the newest version by creation.
 * Errors are `HttpError`s shaped as Key Vault answers them.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { HttpError } from '../core/http-error.js';

export const RECOVERY_LEVEL = 'CustomizedRecoverable+Purgeable';
export const RECOVERABLE_DAYS = 7;
export const MAX_VALUE_BYTES = 25 * 1024;
export const MAX_TAGS = 15;
export const MAX_TAG_NAME_LENGTH = 512;
export const MAX_TAG_VALUE_LENGTH = 256;
export const MAX_CONTENT_TYPE_LENGTH = 255;
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION_ID = /^[0-9a-f]{32}$/;

export interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  /** Creation order across the vault; the highest of a secret is its current version. */
  seq: number;
  /** Event bookkeeping: each fires once per version (reset when `exp` changes). */
  nearExpiryNotified: boolean;
  expiredNotified: boolean;
}

export interface StoredSecret {
  /** The name as first written (Key Vault names are case-insensitive). */
  name: string;
  /** In creation order. */
  versions: SecretVersion[];
}

export interface DeletedSecret {
  secret: StoredSecret;
  deletedDate: number;
  scheduledPurgeDate: number;
}

export interface SecretAttributesInput {
  enabled?: boolean | null;
  nbf?: number | null;
  exp?: number | null;
}

export interface SetSecretInput {
  value: string;
  contentType?: string | null;
  tags?: Record<string, string> | null;
  attributes?: SecretAttributesInput | null;
}

export interface UpdateSecretInput {
  contentType?: string | null;
  tags?: Record<string, string> | null;
  attributes?: SecretAttributesInput | null;
}

/** Told about every new version and every change, so events can be raised. */
export interface VaultObserver {
  newVersion(secret: StoredSecret, version: SecretVersion): void;
  changed(secret: StoredSecret): void;
}

export interface VersionSnapshot {
  version: string;
  /** SHA-256 of the value (hex): enough to see a change without showing the value. */
  valueSha256: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

export interface SecretSnapshot {
  name: string;
  currentVersion: string;
  versions: VersionSnapshot[];
}

export interface VaultStoreSnapshot {
  secrets: SecretSnapshot[];
  deleted: (SecretSnapshot & { deletedDate: number; scheduledPurgeDate: number })[];
}

const badParameter = (message: string) => new HttpError(400, 'BadParameter', message);

export function secretNotFound(name: string, version?: string): HttpError {
  const id = version ? `${name}/${version}` : name;
  return new HttpError(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${id} was not found in this key vault. If you recently deleted this secret you may ` +
      'be able to recover it using the correct recovery command. For help resolving this issue, please see ' +
      'https://go.microsoft.com/fwlink/?linkid=2125182',
  );
}

export function checkSecretName(name: string): void {
  if (!SECRET_NAME.test(name)) throw badParameter(`The request URI contains an invalid name: ${name}`);
}

function checkTimestamp(field: string, value: number | null | undefined): void {
  if (value === undefined || value === null) return;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw badParameter(`Property attributes.${field} has invalid value: expected integer Unix seconds.`);
  }
}

function checkTags(tags: Record<string, string> | null | undefined): void {
  if (!tags) return;
  const entries = Object.entries(tags);
  // Key Vault answers a 16th tag with this terse message (seen in public bug reports against the service).
  if (entries.length > MAX_TAGS) throw badParameter('Property has invalid value');
  for (const [name, value] of entries) {
    if (typeof value !== 'string') throw badParameter(`Property tags.${name} has invalid value.`);
    if (name.length === 0 || name.length > MAX_TAG_NAME_LENGTH || value.length > MAX_TAG_VALUE_LENGTH) {
      throw badParameter('Property has invalid value');
    }
  }
}

function checkContentType(contentType: string | null | undefined): void {
  if (typeof contentType === 'string' && contentType.length > MAX_CONTENT_TYPE_LENGTH) {
    throw badParameter('Property contentType has invalid value: too long.');
  }
}

function checkAttributes(attributes: SecretAttributesInput | null | undefined): void {
  if (!attributes) return;
  checkTimestamp('nbf', attributes.nbf);
  checkTimestamp('exp', attributes.exp);
}

function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

function versionSnapshot(v: SecretVersion): VersionSnapshot {
  const snapshot: VersionSnapshot = {
    version: v.version,
    valueSha256: sha256(v.value),
    enabled: v.enabled,
    created: v.created,
    updated: v.updated,
  };
  if (v.contentType !== undefined) snapshot.contentType = v.contentType;
  if (v.tags !== undefined) snapshot.tags = { ...v.tags };
  if (v.nbf !== undefined) snapshot.nbf = v.nbf;
  if (v.exp !== undefined) snapshot.exp = v.exp;
  return snapshot;
}

/** The newest version by creation (what Key Vault returns for "get latest"). */
export function currentVersion(secret: StoredSecret): SecretVersion {
  let current = secret.versions[0];
  for (const v of secret.versions) if (current === undefined || v.seq > current.seq) current = v;
  if (!current) throw new Error(`Secret ${secret.name} has no versions`);
  return current;
}

function secretSnapshot(secret: StoredSecret): SecretSnapshot {
  return {
    name: secret.name,
    currentVersion: currentVersion(secret).version,
    versions: [...secret.versions].sort((a, b) => a.seq - b.seq).map(versionSnapshot),
  };
}

export class VaultStore {
  readonly name: string;
  readonly #clock: Clock;
  readonly #observer: VaultObserver | undefined;
  readonly #secrets = new Map<string, StoredSecret>();
  readonly #deleted = new Map<string, DeletedSecret>();
  #seq = 0;

  constructor(name: string, clock: Clock, observer?: VaultObserver) {
    this.name = name;
    this.#clock = clock;
    this.#observer = observer;
  }

  /** Writes a new version (creating the secret if needed). */
  set(name: string, input: SetSecretInput): { secret: StoredSecret; version: SecretVersion } {
    checkSecretName(name);
    if (typeof input.value !== 'string') throw badParameter('Property value is required.');
    if (Buffer.byteLength(input.value, 'utf8') > MAX_VALUE_BYTES) {
      throw badParameter(
        `Property value has invalid value: secrets are limited to ${MAX_VALUE_BYTES} bytes.`,
      );
    }
    checkContentType(input.contentType);
    checkTags(input.tags);
    checkAttributes(input.attributes);
    const key = name.toLowerCase();
    this.#purgeDue();
    if (this.#deleted.has(key)) {
      throw new HttpError(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this ` +
          'state, the secret can only be recovered or purged.',
      );
    }
    const now = this.#clock.nowSeconds();
    const version: SecretVersion = {
      version: randomBytes(16).toString('hex'),
      value: input.value,
      enabled: input.attributes?.enabled ?? true,
      created: now,
      updated: now,
      seq: ++this.#seq,
      nearExpiryNotified: false,
      expiredNotified: false,
    };
    if (typeof input.contentType === 'string') version.contentType = input.contentType;
    if (input.tags) version.tags = { ...input.tags };
    if (typeof input.attributes?.nbf === 'number') version.nbf = input.attributes.nbf;
    if (typeof input.attributes?.exp === 'number') version.exp = input.attributes.exp;
    let secret = this.#secrets.get(key);
    if (!secret) {
      secret = { name, versions: [] };
      this.#secrets.set(key, secret);
    }
    secret.versions.push(version);
    this.#observer?.newVersion(secret, version);
    return { secret, version };
  }

  /** The secret and the version asked for (`version` empty or absent: the current one). */
  get(name: string, version?: string): { secret: StoredSecret; version: SecretVersion } {
    checkSecretName(name);
    const secret = this.#secrets.get(name.toLowerCase());
    if (!secret) throw secretNotFound(name, version || undefined);
    if (!version) return { secret, version: currentVersion(secret) };
    const wanted = version.toLowerCase();
    const found = VERSION_ID.test(wanted) ? secret.versions.find((v) => v.version === wanted) : undefined;
    if (!found) throw secretNotFound(name, version);
    return { secret, version: found };
  }

  /** Updates a version's properties (never its value). Omitted fields stay; `null` clears nbf/exp. */
  update(name: string, version: string | undefined, patch: UpdateSecretInput) {
    checkContentType(patch.contentType);
    checkTags(patch.tags);
    checkAttributes(patch.attributes);
    const found = this.get(name, version);
    const v = found.version;
    if (patch.contentType !== undefined) {
      if (patch.contentType === null) delete v.contentType;
      else v.contentType = patch.contentType;
    }
    if (patch.tags !== undefined) {
      if (patch.tags === null) delete v.tags;
      else v.tags = { ...patch.tags };
    }
    const attributes = patch.attributes;
    if (attributes) {
      if (typeof attributes.enabled === 'boolean') v.enabled = attributes.enabled;
      if (attributes.nbf !== undefined) {
        if (attributes.nbf === null) delete v.nbf;
        else v.nbf = attributes.nbf;
      }
      if (attributes.exp !== undefined && attributes.exp !== v.exp) {
        if (attributes.exp === null) delete v.exp;
        else v.exp = attributes.exp;
        v.nearExpiryNotified = false;
        v.expiredNotified = false;
      }
    }
    v.updated = this.#clock.nowSeconds();
    this.#observer?.changed(found.secret);
    return found;
  }

  /** Active secrets, sorted by name (case-insensitive). */
  list(): StoredSecret[] {
    return [...this.#secrets.values()].sort((a, b) => compare(a.name.toLowerCase(), b.name.toLowerCase()));
  }

  /** Versions of a secret sorted by version id, as Key Vault pages them; empty for an unknown name. */
  versions(name: string): { secret?: StoredSecret; versions: SecretVersion[] } {
    checkSecretName(name);
    const secret = this.#secrets.get(name.toLowerCase());
    if (!secret) return { versions: [] };
    return { secret, versions: [...secret.versions].sort((a, b) => compare(a.version, b.version)) };
  }

  /** Soft-deletes a secret with all its versions. */
  delete(name: string): DeletedSecret {
    checkSecretName(name);
    const key = name.toLowerCase();
    const secret = this.#secrets.get(key);
    if (!secret) throw secretNotFound(name);
    const deletedDate = this.#clock.nowSeconds();
    const deleted = { secret, deletedDate, scheduledPurgeDate: deletedDate + RECOVERABLE_DAYS * 86_400 };
    this.#secrets.delete(key);
    this.#deleted.set(key, deleted);
    return deleted;
  }

  getDeleted(name: string): DeletedSecret {
    checkSecretName(name);
    this.#purgeDue();
    const deleted = this.#deleted.get(name.toLowerCase());
    if (!deleted) throw new HttpError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
    return deleted;
  }

  listDeleted(): DeletedSecret[] {
    this.#purgeDue();
    return [...this.#deleted.values()].sort((a, b) =>
      compare(a.secret.name.toLowerCase(), b.secret.name.toLowerCase()),
    );
  }

  recover(name: string): StoredSecret {
    const deleted = this.getDeleted(name);
    const key = name.toLowerCase();
    this.#deleted.delete(key);
    this.#secrets.set(key, deleted.secret);
    this.#observer?.changed(deleted.secret);
    return deleted.secret;
  }

  purge(name: string): void {
    this.getDeleted(name);
    this.#deleted.delete(name.toLowerCase());
  }

  snapshot(): VaultStoreSnapshot {
    return {
      secrets: this.list().map(secretSnapshot),
      deleted: this.listDeleted().map((d) => ({
        ...secretSnapshot(d.secret),
        deletedDate: d.deletedDate,
        scheduledPurgeDate: d.scheduledPurgeDate,
      })),
    };
  }

  /** Key Vault purges soft-deleted secrets when their retention ends. */
  #purgeDue(): void {
    const now = this.#clock.nowSeconds();
    for (const [key, deleted] of this.#deleted)
      if (deleted.scheduledPurgeDate <= now) this.#deleted.delete(key);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
