/**
 * One vault's secrets, with Key Vault's rules: case-insensitive names (the first spelling is kept), 32-hex
 * version ids, integer Unix-second timestamps from the emulator clock, soft delete with 7 recoverable days,
 * and the service limits (name pattern, 25 KB values, 15 tags). "Current" is the newest version by creation.
 * Errors are `HttpError`s shaped as Key Vault answers them.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { HttpError } from '../core/http-error.js';
import {
  badParameter,
  checkAttributes,
  checkContentType,
  checkSecretName,
  checkTags,
  MAX_VALUE_BYTES,
  RECOVERABLE_DAYS,
  secretNotFound,
  VERSION_ID,
} from './limits.js';

import {
  currentVersion,
  type DeletedSecret,
  type SecretVersion,
  type SetSecretInput,
  type StoredSecret,
  type UpdateSecretInput,
} from './model.js';
import { secretSnapshot, type VaultStoreSnapshot } from './snapshot.js';

export { RECOVERABLE_DAYS, RECOVERY_LEVEL } from './limits.js';
export * from './model.js';
export type { SecretSnapshot, VaultStoreSnapshot, VersionSnapshot } from './snapshot.js';

/** Told about every new version and every change, so events can be raised. */
export interface VaultObserver {
  newVersion(secret: StoredSecret, version: SecretVersion): void;
  changed(secret: StoredSecret): void;
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
