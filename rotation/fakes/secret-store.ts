/**
 * In-memory Key Vault: vaults of secrets with ordered versions, tags, enabled flags and expiry.
 * Mirrors the rules the engine relies on: names are case-insensitive, `getCurrent` is the latest version
 * (refused when that version is disabled, as Key Vault answers 403), at most 15 tags per version.
 */

import { RotationError } from '../errors.js';
import { MAX_TAGS } from '../kinds.js';
import { OwnVersions } from '../own-versions.js';
import type {
  Clock,
  NewSecretVersion,
  SecretStore,
  SecretVersion,
  SecretVersionPatch,
  SecretVersionProperties,
} from '../ports.js';
import { FaultInjector } from './faults.js';

type StoredVersion = SecretVersion & { createdOn: Date; updatedOn: Date };

export interface SeedVersion {
  value: string;
  tags?: Record<string, string>;
  contentType?: string;
  expiresOn?: Date;
  enabled?: boolean;
  createdOn?: Date;
}

export class FakeSecretStore implements SecretStore {
  private readonly vaults = new Map<string, Map<string, StoredVersion[]>>();
  private counter = 0;
  private readonly own: OwnVersions;

  constructor(
    private readonly clock: Clock,
    readonly faults: FaultInjector = new FaultInjector(),
  ) {
    this.own = new OwnVersions({ now: () => clock.now().getTime() });
  }

  async getCurrent(vault: string, name: string): Promise<SecretVersion | undefined> {
    this.faults.hit('store.getCurrent', [vault, name]);
    const latest = this.versionsOf(vault, name)?.at(-1);
    if (!latest) return undefined;
    if (!latest.enabled) throw disabled(name);
    return copy(latest);
  }

  async getVersion(vault: string, name: string, version: string): Promise<SecretVersion | undefined> {
    this.faults.hit('store.getVersion', [vault, name, version]);
    const found = this.versionsOf(vault, name)?.find((v) => v.version === version);
    if (!found) return undefined;
    if (!found.enabled) throw disabled(name);
    return copy(found);
  }

  async *listSecrets(vault: string): AsyncIterable<SecretVersionProperties> {
    this.faults.hit('store.listSecrets', [vault]);
    for (const versions of this.vaults.get(vault.toLowerCase())?.values() ?? []) {
      const latest = versions.at(-1);
      if (latest) yield { ...properties(latest), version: undefined };
    }
  }

  async *listVersions(
    vault: string,
    name: string,
  ): AsyncIterable<SecretVersionProperties & { version: string }> {
    this.faults.hit('store.listVersions', [vault, name]);
    for (const v of this.versionsOf(vault, name) ?? []) yield properties(v);
  }

  async setSecret(
    vault: string,
    name: string,
    secret: NewSecretVersion,
  ): Promise<SecretVersionProperties & { version: string }> {
    this.faults.hit('store.setSecret', [vault, name, secret]);
    const written = properties(this.write(vault, name, { ...secret, enabled: true }));
    this.own.recordWrite(vault, name, written.version, secret.tags);
    return written;
  }

  wroteOwnVersion(vault: string, name: string, version: string): boolean {
    return this.own.has(vault, name, version);
  }

  async updateVersion(
    vault: string,
    name: string,
    version: string,
    patch: SecretVersionPatch,
  ): Promise<SecretVersionProperties & { version: string }> {
    this.faults.hit('store.updateVersion', [vault, name, version, patch]);
    const found = this.versionsOf(vault, name)?.find((v) => v.version === version);
    if (!found) throw new RotationError('SecretNotFound', `secret ${name} version ${version} not found`);
    if (patch.tags) checkTags(patch.tags);
    if (patch.enabled !== undefined) found.enabled = patch.enabled;
    if (patch.tags) found.tags = { ...patch.tags };
    if (patch.expiresOn) found.expiresOn = new Date(patch.expiresOn);
    found.updatedOn = this.clock.now();
    return properties(found);
  }

  // ------------------------------------------------------------------ test helpers (no fault hooks)

  /** Writes a version directly, bypassing faults. */
  seed(vault: string, name: string, version: SeedVersion): SecretVersion {
    return copy(this.write(vault, name, version));
  }

  /** Every version of a secret with values, oldest first. */
  versions(vault: string, name: string): SecretVersion[] {
    return (this.versionsOf(vault, name) ?? []).map(copy);
  }

  /** The latest version regardless of `enabled`, bypassing faults. */
  peek(vault: string, name: string): SecretVersion | undefined {
    const latest = this.versionsOf(vault, name)?.at(-1);
    return latest ? copy(latest) : undefined;
  }

  /** A deep, comparable copy of everything stored. */
  snapshot(): Record<string, Record<string, SecretVersion[]>> {
    const out: Record<string, Record<string, SecretVersion[]>> = {};
    for (const [vault, secrets] of this.vaults) {
      out[vault] = {};
      for (const [name, versions] of secrets) out[vault][name] = versions.map(copy);
    }
    return out;
  }

  private versionsOf(vault: string, name: string): StoredVersion[] | undefined {
    return this.vaults.get(vault.toLowerCase())?.get(name.toLowerCase());
  }

  private write(vault: string, name: string, input: SeedVersion): StoredVersion {
    const tags = { ...(input.tags ?? {}) };
    checkTags(tags);
    const vaultKey = vault.toLowerCase();
    let secrets = this.vaults.get(vaultKey);
    if (!secrets) {
      secrets = new Map();
      this.vaults.set(vaultKey, secrets);
    }
    let versions = secrets.get(name.toLowerCase());
    if (!versions) {
      versions = [];
      secrets.set(name.toLowerCase(), versions);
    }
    const now = this.clock.now();
    const stored: StoredVersion = {
      vault: vaultKey,
      name: versions[0]?.name ?? name,
      version: (++this.counter).toString(16).padStart(32, '0'),
      value: input.value,
      enabled: input.enabled ?? true,
      createdOn: input.createdOn ?? now,
      updatedOn: input.createdOn ?? now,
      tags,
      ...(input.contentType === undefined ? {} : { contentType: input.contentType }),
      ...(input.expiresOn === undefined ? {} : { expiresOn: new Date(input.expiresOn) }),
    };
    versions.push(stored);
    return stored;
  }
}

function checkTags(tags: Record<string, string>): void {
  if (Object.keys(tags).length > MAX_TAGS) {
    throw new RotationError('BadRequest', `a secret version may have at most ${MAX_TAGS} tags`);
  }
}

function disabled(name: string): RotationError {
  return new RotationError('PermissionDenied', `operation get is not allowed on a disabled secret (${name})`);
}

function copy(v: StoredVersion | SecretVersion): SecretVersion {
  return {
    ...v,
    tags: { ...v.tags },
    ...(v.createdOn ? { createdOn: new Date(v.createdOn) } : {}),
    ...(v.updatedOn ? { updatedOn: new Date(v.updatedOn) } : {}),
    ...(v.expiresOn ? { expiresOn: new Date(v.expiresOn) } : {}),
  };
}

function properties(v: StoredVersion): SecretVersionProperties & { version: string } {
  const { value: _value, ...rest } = copy(v);
  return rest;
}
