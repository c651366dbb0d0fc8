/**
 * A clock tests move by hand. `sleep` resolves when the clock is advanced past its deadline.
 *
 * With `autoAdvance`, the clock behaves like a discrete-event simulation: whenever every pending
 * promise chain has settled (checked on `setImmediate`, which runs only after the microtask queue is
 * empty) and someone sleeps, time jumps to the earliest deadline. Retries with backoff and lease renewals
 * then take no wall time yet happen in the same order as they would for real.
 */
import type { Clock } from '../ports.js';

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
  cleanup: () => void;
}

export class FakeClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private seq = 0;
  private idleCheckScheduled = false;
  autoAdvance: boolean;

  constructor(start: Date | string = '2026-03-01T00:00:00.000Z', options: { autoAdvance?: boolean } = {}) {
    this.current = new Date(start).getTime();
    this.autoAdvance = options.autoAdvance ?? false;
  }

  now(): Date {
    return new Date(this.current);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(abortReason(signal!));
      };
      const timer: Timer = {
        at: this.current + Math.max(0, ms),
        seq: this.seq++,
        resolve,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.scheduleIdleCheck();
    });
  }

  /** Moves time forward, waking every sleeper whose deadline passed, earliest first. */
  advance(ms: number): void {
    this.set(new Date(this.current + ms));
  }

  /** Jumps to an absolute time (never backwards). */
  set(date: Date): void {
    const target = date.getTime();
    if (target < this.current) throw new Error('FakeClock cannot go backwards');
    const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.timers = this.timers.filter((t) => t.at > target);
    this.current = target;
    for (const timer of due) {
      timer.cleanup();
      timer.resolve();
    }
  }

  /** Number of sleepers waiting. */
  get pending(): number {
    return this.timers.length;
  }

  private scheduleIdleCheck(): void {
    if (!this.autoAdvance || this.idleCheckScheduled) return;
    this.idleCheckScheduled = true;
    setImmediate(() => {
      this.idleCheckScheduled = false;
      if (!this.autoAdvance || this.timers.length === 0) return;
      const earliest = Math.min(...this.timers.map((t) => t.at));
      this.set(new Date(Math.max(earliest, this.current)));
      if (this.timers.length > 0) this.scheduleIdleCheck();
    });
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
