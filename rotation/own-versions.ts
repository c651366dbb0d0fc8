/**
 * Versions a `SecretStore` wrote itself with the rotator's tags, kept briefly: `SecretNewVersionCreated`
 * for such a version (Event Grid sends one for every version written) is known to be the rotator's own
 * without reading it back. Only what a read would show is remembered — the version carried
 * `RotatedBy=key-vault-rotator` when it was written — and only for a while: an event delivered later, or
 * to another instance, reads the version as before. Bounded: the oldest entries go first.
 */
import { ROTATED_BY_VALUE, readTag, TAGS } from './kinds.js';

export interface OwnVersionsOptions {
  /** How long a write is remembered (default 15 minutes: Event Grid delivers within seconds). */
  ttlMs?: number;
  /** Most entries kept (default 5,000). */
  max?: number;
  now?: () => number;
}

export class OwnVersions {
  readonly #written = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: OwnVersionsOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 15 * 60_000;
    this.#max = options.max ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  /** Records a version just written, if its tags say the rotator wrote it. */
  recordWrite(vault: string, name: string, version: string, tags: Record<string, string> | undefined): void {
    if (readTag(tags, TAGS.rotatedBy)?.trim().toLowerCase() !== ROTATED_BY_VALUE) return;
    const key = keyOf(vault, name, version);
    this.#written.delete(key);
    this.#written.set(key, this.#now());
    while (this.#written.size > this.#max) {
      const oldest = this.#written.keys().next().value;
      if (oldest === undefined) break;
      this.#written.delete(oldest);
    }
  }

  /** True when `version` was written here with the rotator's tags less than `ttlMs` ago. */
  has(vault: string, name: string, version: string): boolean {
    const at = this.#written.get(keyOf(vault, name, version));
    return at !== undefined && this.#now() - at < this.#ttlMs;
  }
}

function keyOf(vault: string, name: string, version: string): string {
  return `${vault.toLowerCase()}/${name.toLowerCase()}/${version.toLowerCase()}`;
}
