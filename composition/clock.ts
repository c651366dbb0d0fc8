/**
 * Clocks for the engine's `Clock` port. In Azure: the system clock. Locally the whole stack follows the
 * emulator's clock (DESIGN.md, Clock), so fast-forwarding it makes Key Vault fire near-expiry events and
 * the engine stamp versions at the same "now":
 * - in the process that runs the emulator (`npm start`, tests): {@link followClock} over its clock;
 * - in another process (the CLI, a second host): {@link EmulatorFollowingClock}, which reads the
 *   emulator's `GET /_emulator/clock` and keeps the offset to real time.
 * Sleeping always waits real time: the emulator clock runs at real speed between jumps.
 */
import https from 'node:https';
import { RotationError } from '../rotation/errors.js';
import type { Clock } from '../rotation/ports.js';

/** Waits `ms` of real time; rejects with the signal's reason when aborted. */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return realSleep(ms, signal);
  }
}

export const systemClock: Clock = new SystemClock();

/** A `Clock` over anything that tells the time (the in-process emulator's clock). */
export function followClock(source: { now(): Date }): Clock {
  return { now: () => source.now(), sleep: realSleep };
}

export interface EmulatorFollowingClockOptions {
  /** The emulator's shared origin, e.g. `https://127.0.0.1:40123` (`emulator` in endpoints.json). */
  origin: string;
  /** PEM of the emulator's CA (trusted for this request only). */
  caCert: string;
  /** Re-read the emulator's clock when the last reading is older than this (default 1 s). */
  refreshMs?: number;
  /** Per-request timeout (default 5 s). */
  timeoutMs?: number;
}

/**
 * Follows the emulator's clock from another process: `now()` is real time plus the offset last read from
 * `GET /_emulator/clock` (refreshed in the background at most every `refreshMs`). Call `sync()` once
 * before use; a failed refresh keeps the last offset (the emulator only ever moves forward).
 */
export class EmulatorFollowingClock implements Clock {
  readonly #options: Required<EmulatorFollowingClockOptions>;
  #offsetMs = 0;
  #readAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<void> | undefined;

  constructor(options: EmulatorFollowingClockOptions) {
    this.#options = { refreshMs: 1000, timeoutMs: 5000, ...options };
  }

  /** Reads the emulator's clock now; rejects with `AzureUnavailable` when the emulator does not answer. */
  sync(): Promise<void> {
    this.#pending ??= this.#read().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  now(): Date {
    if (performance.now() - this.#readAt > this.#options.refreshMs && !this.#pending) {
      // Background refresh; the reading in hand is used meanwhile.
      this.sync().catch(() => undefined);
    }
    return new Date(Date.now() + this.#offsetMs);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return realSleep(ms, signal);
  }

  async #read(): Promise<void> {
    const sentAt = Date.now();
    const body = await getJson(new URL('/_emulator/clock', this.#options.origin), this.#options);
    const emulatorNow = Date.parse(typeof body.now === 'string' ? body.now : '');
    if (Number.isNaN(emulatorNow)) {
      throw new RotationError('AzureUnavailable', 'the emulator clock answered without a time');
    }
    // Half the round trip is the best guess of when the emulator read its clock.
    const midpoint = sentAt + (Date.now() - sentAt) / 2;
    this.#offsetMs = emulatorNow - midpoint;
    this.#readAt = performance.now();
  }
}

function getJson(url: URL, options: { caCert: string; timeoutMs: number }): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const fail = (message: string) =>
      reject(
        new RotationError('AzureUnavailable', `cannot read the emulator clock: ${message}`, {
          transient: true,
        }),
      );
    const req = https.get(url, { ca: options.caCert, agent: false, timeout: options.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => fail(error.message));
      res.on('end', () => {
        if (res.statusCode !== 200) {
          fail(`HTTP ${res.statusCode ?? 0}`);
          return;
        }
        try {
          const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (parsed && typeof parsed === 'object') resolve(parsed as Record<string, unknown>);
          else fail('not a JSON object');
        } catch {
          fail('not JSON');
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => fail(error.message));
  });
}
