/**
 * The emulator's request log: one entry per answered (or dropped) request with method, origin, path without
 * secret-looking query parameters, status and timing. Never a header, a body or a value.
 */
import type { FaultAction } from './faults.js';

export interface RequestLogEntry {
  /** Increasing number, for `since` queries. */
  seq: number;
  /** Vault name, or `arm` / `data` / `control` / `emulator` (unmatched) on the shared origin. */
  origin: string;
  /** Which server answered: a vault's own origin, or the shared emulator origin. */
  server: 'vault' | 'emulator';
  method: string;
  /** Path plus the query parameters that cannot carry secrets (`code`, `*key*`, `*token*`… are stripped). */
  path: string;
  /** `null` when no response was sent (connection reset or held until the client gave up). */
  status: number | null;
  /** The kind of the terminal fault injected, if any (latency-only faults leave this unset). */
  fault?: Exclude<FaultAction['kind'], 'latency'>;
  /** Ids of the fault rules that applied (latency included). */
  faultRules?: string[];
  /** Wall-clock start and end (ISO). */
  start: string;
  end: string;
  /** High-resolution monotonic start and end (`performance.now()` ms) and their difference. */
  startMs: number;
  endMs: number;
  durationMs: number;
  /** Emulator clock when the request arrived (ISO). */
  clock: string;
}

export type RequestListener = (entry: RequestLogEntry) => void;

const SENSITIVE_PARAM = /code|key|secret|token|sig|password|pwd|credential|auth|assertion/i;

/**
 * The query of `url` without sensitive parameters. `mode: 'strip'` drops them (request log); `mode: 'mask'`
 * keeps the name with the value `REDACTED` (for showing a webhook URL: one sees that a key is present).
 */
export function redactQuery(search: string, mode: 'strip' | 'mask'): string {
  const params = new URLSearchParams(search);
  const kept: string[] = [];
  for (const [name, value] of params) {
    if (SENSITIVE_PARAM.test(name)) {
      if (mode === 'mask') kept.push(`${encodeURIComponent(name)}=REDACTED`);
    } else {
      kept.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
    }
  }
  return kept.length > 0 ? `?${kept.join('&')}` : '';
}

/** A URL safe to show: sensitive query values masked, user info dropped. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${redactQuery(parsed.search, 'mask')}`;
}

export interface RequestLogFilter {
  /** Only entries with `seq` greater than this. */
  since?: number;
  /** Only entries of this origin (case-insensitive). */
  origin?: string;
}

export class RequestLog {
  readonly #entries: RequestLogEntry[] = [];
  readonly #listeners = new Set<RequestListener>();
  readonly #capacity: number;
  #seq = 0;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  nextSeq(): number {
    this.#seq += 1;
    return this.#seq;
  }

  record(entry: RequestLogEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.#capacity) this.#entries.splice(0, this.#entries.length - this.#capacity);
    for (const listener of this.#listeners) {
      try {
        listener(structuredClone(entry));
      } catch (error) {
        const reason = error instanceof Error ? error.message : 'unknown error';
        process.stderr.write(`emulator: a request listener failed (${reason})\n`);
      }
    }
  }

  list(filter: RequestLogFilter = {}): RequestLogEntry[] {
    const origin = filter.origin?.toLowerCase();
    return this.#entries
      .filter((entry) => filter.since === undefined || entry.seq > filter.since)
      .filter((entry) => origin === undefined || entry.origin.toLowerCase() === origin)
      .map((entry) => structuredClone(entry));
  }

  clear(): void {
    this.#entries.length = 0;
  }

  /** Calls `listener` after every logged request; returns a function that unsubscribes it. */
  onCompleted(listener: RequestListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
