/**
 * The `SecretCatalog` the engine and triggers use: secrets listed in `rotation.json`, and secrets in a
 * configured vault that carry Microsoft's rotation tags (`CredentialId`, `ProviderAddress`,
 * `ValidityPeriodDays`) without a config entry (DESIGN.md, Tags). Tags are read from the secret's current
 * version through the store and kept briefly, so a burst of events costs one Key Vault read per secret.
 * A failed read is not cached and propagates (transient: the trigger is retried). Callers that already
 * hold a secret's current tags (the sweep and `rotate --all` listed them; the engine read the version
 * that names a run) hand them over with `primeTags`, which fills the same cache, so they cost no read.
 */
import type { ResolvedConfig } from '../rotation/config/index.js';
import type { CredentialGroup, ManagedSecret, SecretCatalog, SecretStore } from '../rotation/ports.js';

export interface ConfigCatalogOptions {
  /** How long tags read from Key Vault are reused (default 30 s). */
  tagCacheMs?: number;
  /** Largest number of cached entries (default 1000; the oldest go first). */
  maxEntries?: number;
  /** Time source for the cache (real time by default: the cache is about Key Vault load, not policy). */
  nowMs?: () => number;
}

interface CachedTags {
  tags: Record<string, string> | undefined;
  at: number;
}

export class ConfigSecretCatalog implements SecretCatalog {
  readonly #config: ResolvedConfig;
  readonly #store: SecretStore;
  readonly #ttl: number;
  readonly #max: number;
  readonly #nowMs: () => number;
  readonly #tags = new Map<string, CachedTags>();

  constructor(config: ResolvedConfig, store: SecretStore, options: ConfigCatalogOptions = {}) {
    this.#config = config;
    this.#store = store;
    this.#ttl = options.tagCacheMs ?? 30_000;
    this.#max = options.maxEntries ?? 1000;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  /** True when `vault` is one of the configured vaults (names are case-insensitive). */
  hasVault(vault: string): boolean {
    const name = vault.trim().toLowerCase();
    return this.#config.vaults.some((v) => v.name === name);
  }

  async resolveSecret(vault: string, name: string): Promise<ManagedSecret | undefined> {
    return (await this.#resolve(vault, name))?.secret;
  }

  async resolveGroup(vault: string, group: string): Promise<CredentialGroup | undefined> {
    const configured = this.#config.findGroup(vault, group);
    if (configured) return configured;
    // A tag-inferred secret forms a group of its own, named after the secret.
    const inferred = await this.#resolve(vault, group);
    return inferred?.group.id === group.toLowerCase() && inferred.secret.source === 'tags'
      ? inferred.group
      : undefined;
  }

  /**
   * Keeps `tags` as the current tags of `vault/name`, as if just read (`undefined`: no current version).
   * Only for vaults this catalog serves and secrets rotation.json does not configure (the only ones it
   * reads tags for).
   */
  primeTags(vault: string, name: string, tags: Readonly<Record<string, string>> | undefined): void {
    if (!this.hasVault(vault) || this.#config.findSecret(vault, name)) return;
    this.#remember(cacheKey(vault, name), tags ? { ...tags } : undefined, this.#nowMs());
  }

  /** Forgets cached tags (after this process wrote a version, or in tests). */
  forget(vault?: string, name?: string): void {
    if (vault === undefined || name === undefined) this.#tags.clear();
    else this.#tags.delete(cacheKey(vault, name));
  }

  async #resolve(
    vault: string,
    name: string,
  ): Promise<{ secret: ManagedSecret; group: CredentialGroup } | undefined> {
    const configured = this.#config.resolveSecret(vault, name);
    if (configured || !this.hasVault(vault)) return configured;
    const tags = await this.#currentTags(vault, name);
    return tags === undefined ? undefined : this.#config.resolveSecret(vault, name, tags);
  }

  async #currentTags(vault: string, name: string): Promise<Record<string, string> | undefined> {
    const key = cacheKey(vault, name);
    const now = this.#nowMs();
    const cached = this.#tags.get(key);
    if (cached && now - cached.at < this.#ttl) return cached.tags;
    const current = await this.#store.getCurrent(vault.toLowerCase(), name);
    const tags = current ? { ...current.tags } : undefined;
    this.#remember(key, tags, now);
    return tags;
  }

  #remember(key: string, tags: Record<string, string> | undefined, at: number): void {
    this.#tags.delete(key);
    this.#tags.set(key, { tags, at });
    while (this.#tags.size > this.#max) {
      const oldest = this.#tags.keys().next().value;
      if (oldest === undefined) break;
      this.#tags.delete(oldest);
    }
  }
}

function cacheKey(vault: string, name: string): string {
  return `${vault.toLowerCase()}/${name.toLowerCase()}`;
}
