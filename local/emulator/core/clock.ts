/**
 * The emulator's clock: starts at real time (or `startTime`), follows real time, and jumps forward when the
 * control API advances it. It never moves backwards.
 */
import { performance } from 'node:perf_hooks';
import type { EmulatorClock } from '../types.js';

export type AdvanceListener = (now: Date) => void | Promise<void>;

export class Clock implements EmulatorClock {
  readonly #baseMs: number;
  readonly #realStart = performance.now();
  #offsetMs = 0;
  readonly #listeners: AdvanceListener[] = [];
  readonly #onListenerError: (error: unknown) => void;

  constructor(startTime: Date = new Date(), onListenerError: (error: unknown) => void = reportListenerError) {
    if (Number.isNaN(startTime.getTime())) throw new TypeError('startTime is not a valid date');
    this.#baseMs = startTime.getTime();
    this.#onListenerError = onListenerError;
  }

  now(): Date {
    return new Date(Math.floor(this.#baseMs + (performance.now() - this.#realStart) + this.#offsetMs));
  }

  /** Integer Unix seconds, the unit Key Vault uses for every timestamp. */
  nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  /** Moves the clock forward by `ms` (≥ 0) and tells every listener; listener errors are reported, not thrown. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('The clock only moves forward: ms must be ≥ 0');
    this.#offsetMs += ms;
    const now = this.now();
    for (const listener of this.#listeners) {
      try {
        const result = listener(now);
        if (result instanceof Promise) result.catch(this.#onListenerError);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }

  onAdvance(listener: AdvanceListener): void {
    this.#listeners.push(listener);
  }
}

function reportListenerError(error: unknown): void {
  const name = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
  process.stderr.write(`emulator: a clock listener failed (${name})\n`);
}
