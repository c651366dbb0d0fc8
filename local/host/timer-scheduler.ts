/**
 * Runs a timer-triggered function on its NCRONTAB schedule (UTC). The host's clock is injectable and
 * re-read at least every `tickMaxMs`, so a clock that jumps (the emulator's fast-forward) fires the due
 * occurrence once, with `isPastDue: true` — missed occurrences are not replayed one by one, as in Azure.
 * Invocations of one timer never overlap: the next occurrence is computed after the previous run ends.
 */
import type { Timer } from '@azure/functions';
import type { TimerFunctionDefinition } from '../../functions/definition.js';
import { describeError } from '../../rotation/errors.js';
import type { Logger } from '../../rotation/ports.js';
import { createInvocationContext } from './context.js';
import { type CronSchedule, nextOccurrence } from './ncrontab.js';
import type { InvocationTracker } from './tracker.js';
import { Waiter } from './waiter.js';

export interface HostClock {
  now(): Date;
}

export interface TimerSchedulerOptions {
  definition: TimerFunctionDefinition;
  schedule: CronSchedule;
  clock: HostClock;
  /** Longest real wait before the clock is read again. */
  tickMaxMs: number;
  logger: Logger;
  tracker: InvocationTracker;
}

/** Later than this after its occurrence, a run is reported as past due. */
const PAST_DUE_AFTER_MS = 1000;

export class TimerScheduler {
  readonly #options: TimerSchedulerOptions;
  readonly #waiter = new Waiter();
  #stopped = false;
  #loop: Promise<void> | undefined;
  #last: Date | undefined;

  constructor(options: TimerSchedulerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#waiter.wake();
    await this.#loop;
  }

  /** The `Timer` an invocation at `now` receives. */
  timerFor(now: Date, isPastDue: boolean): Timer {
    const next = nextOccurrence(this.#options.schedule, now);
    return {
      isPastDue,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: (this.#last ?? now).toISOString(),
        next: (next ?? now).toISOString(),
        lastUpdated: now.toISOString(),
      },
    };
  }

  /** Runs the function now (scheduled or on demand); failures are logged, never thrown. */
  async invoke(timer: Timer): Promise<boolean> {
    const { definition, logger, tracker } = this.#options;
    const context = createInvocationContext({
      functionName: definition.name,
      triggerType: 'timerTrigger',
      logger,
    });
    try {
      await tracker.track(Promise.resolve().then(() => definition.handler(timer, context)));
      return true;
    } catch (error) {
      logger.error('function failed', {
        functionName: definition.name,
        invocationId: context.invocationId,
        error: describeError(error),
      });
      return false;
    }
  }

  async #run(): Promise<void> {
    const { schedule, clock, tickMaxMs, logger, definition } = this.#options;
    let next = nextOccurrence(schedule, clock.now());
    while (!this.#stopped) {
      if (next === undefined) {
        logger.warn('timer schedule never fires', {
          functionName: definition.name,
          schedule: schedule.expression,
        });
        return;
      }
      const now = clock.now();
      const wait = next.getTime() - now.getTime();
      if (wait > 0) {
        await this.#waiter.wait(Math.min(wait, tickMaxMs));
        continue;
      }
      await this.invoke(this.timerFor(now, -wait > PAST_DUE_AFTER_MS));
      this.#last = next;
      next = nextOccurrence(schedule, clock.now());
    }
  }
}
