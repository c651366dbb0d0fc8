/**
 * The rotation invariant, checked after every request the emulator answers: the value each vault serves
 * as current for a managed secret is valid at its provider (and enabled, so it can be read at all).
 * A violation is recorded once per (vault, secret, version) with the time and the request after which it
 * was first seen; it is not an error here — tests assert that the list stays empty.
 */
import type { ProviderKind } from '../../../rotation/kinds.js';
import type { Clock } from '../core/clock.js';
import type { RequestLogEntry } from '../core/request-log.js';
import type { DataPlanesModule } from '../dataplanes/index.js';
import { currentVersion, type StoredSecret } from '../keyvault/model.js';
import { type ManagedRef, type ValidityRule, verdictOf } from './validity.js';

export interface InvariantOptions {
  /**
   * Which secrets the invariant covers: the provider kind (or kind and resource) of a managed secret,
   * undefined for any other secret. Called often: keep it a lookup.
   */
  managed(vault: string, name: string): ManagedRef | ProviderKind | undefined;
  /** Per-kind overrides of the validity rules in `validity.ts`. */
  rules?: Partial<Record<ProviderKind, ValidityRule>>;
}

/** What was going on when a violation was first seen. */
export type ViolationCause =
  | { type: 'request'; seq: number; origin: string; method: string; path: string; status: number | null }
  | { type: 'manual'; note: string };

export interface InvariantViolation {
  /** Wall-clock time (ISO). */
  at: string;
  /** Emulator clock (ISO). */
  clock: string;
  vault: string;
  secret: string;
  version: string;
  kind: ProviderKind;
  reason: string;
  cause: ViolationCause;
}

export interface InvariantStats {
  /** Passes over every vault (one per answered request, plus manual checks). */
  checks: number;
  /** Managed (secret, current version) pairs verified across all passes. */
  verified: number;
  violations: number;
}

/** Reads the emulator's vaults (name and secrets, values included: the checker runs in-process only). */
export type VaultReader = () => Iterable<{ name: string; secrets(): StoredSecret[] }>;

export class InvariantChecker {
  readonly #options: InvariantOptions;
  readonly #vaults: VaultReader;
  readonly #planes: DataPlanesModule;
  readonly #clock: Clock;
  readonly #violations: InvariantViolation[] = [];
  /** `<vault>/<secret>` → version currently in violation (so each one is recorded once). */
  readonly #open = new Map<string, string>();
  #checks = 0;
  #verified = 0;

  constructor(options: InvariantOptions, vaults: VaultReader, planes: DataPlanesModule, clock: Clock) {
    this.#options = options;
    this.#vaults = vaults;
    this.#planes = planes;
    this.#clock = clock;
  }

  /** The request log listener: one pass after every answered (or dropped) request. */
  readonly onRequest = (entry: RequestLogEntry): void => {
    this.check({
      type: 'request',
      seq: entry.seq,
      origin: entry.origin,
      method: entry.method,
      path: entry.path,
      status: entry.status,
    });
  };

  /** Checks every managed secret of every vault now; returns the violations this pass opened. */
  check(cause: ViolationCause = { type: 'manual', note: 'explicit check' }): InvariantViolation[] {
    this.#checks += 1;
    const opened: InvariantViolation[] = [];
    const seen = new Set<string>();
    for (const vault of this.#vaults()) {
      for (const secret of vault.secrets()) {
        const ref = this.#refOf(vault.name, secret.name);
        if (!ref || secret.versions.length === 0) continue;
        const key = `${vault.name.toLowerCase()}/${secret.name.toLowerCase()}`;
        seen.add(key);
        const current = currentVersion(secret);
        const verdict = current.enabled
          ? this.#verdict(ref, current.value, current.tags ?? {})
          : {
              valid: false as const,
              reason: 'the current version is disabled (Key Vault refuses to serve it)',
            };
        this.#verified += 1;
        if (verdict.valid) {
          this.#open.delete(key);
          continue;
        }
        if (this.#open.get(key) === current.version) continue;
        this.#open.set(key, current.version);
        const violation: InvariantViolation = {
          at: new Date().toISOString(),
          clock: this.#clock.now().toISOString(),
          vault: vault.name,
          secret: secret.name,
          version: current.version,
          kind: ref.kind,
          reason: verdict.reason,
          cause,
        };
        this.#violations.push(violation);
        opened.push(violation);
      }
    }
    // A secret deleted (or no longer managed) closes its open violation.
    for (const key of [...this.#open.keys()]) if (!seen.has(key)) this.#open.delete(key);
    return opened;
  }

  violations(): InvariantViolation[] {
    return this.#violations.map((v) => structuredClone(v));
  }

  stats(): InvariantStats {
    return { checks: this.#checks, verified: this.#verified, violations: this.#violations.length };
  }

  /** Forgets recorded violations and counters (between test scenarios). */
  reset(): void {
    this.#violations.length = 0;
    this.#open.clear();
    this.#checks = 0;
    this.#verified = 0;
  }

  #refOf(vault: string, name: string): ManagedRef | undefined {
    const ref = this.#options.managed(vault, name);
    return typeof ref === 'string' ? { kind: ref } : ref;
  }

  #verdict(ref: ManagedRef, value: string, tags: Record<string, string>) {
    try {
      return verdictOf(this.#planes, ref, value, tags, this.#options.rules);
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'unknown error';
      return { valid: false as const, reason: `could not check: ${reason}` };
    }
  }
}
