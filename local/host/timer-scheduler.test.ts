import type { Timer } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimerFunctionDefinition } from '../../functions/definition.js';
import { parseNcrontab } from './ncrontab.js';
import { recordingLogger, waitFor } from './test-support.js';
import { TimerScheduler } from './timer-scheduler.js';
import { InvocationTracker } from './tracker.js';

let scheduler: TimerScheduler | undefined;

afterEach(async () => {
  await scheduler?.stop();
});

function schedulerWith(
  expression: string,
  clock: { now(): Date },
  runs: Timer[],
  fail = false,
): TimerScheduler {
  const definition: TimerFunctionDefinition = {
    name: 'dailySweep',
    trigger: { type: 'timer', schedule: expression },
    handler: (timer) => {
      runs.push(timer);
      if (fail) throw new Error('sweep failed');
    },
  };
  return new TimerScheduler({
    definition,
    schedule: parseNcrontab(expression),
    clock,
    tickMaxMs: 20,
    logger: recordingLogger(),
    tracker: new InvocationTracker(),
  });
}

describe('TimerScheduler', () => {
  it('fires once when a jumped clock passes the occurrence, marked past due', async () => {
    let now = new Date('2025-03-10T01:00:00Z');
    const runs: Timer[] = [];
    scheduler = schedulerWith('0 0 2 * * *', { now: () => now }, runs);
    scheduler.start();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(runs).toHaveLength(0);
    // Fast-forward three days: one run, not three.
    now = new Date('2025-03-13T03:00:00Z');
    await waitFor(() => runs.length === 1, 'the timer run');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(runs).toHaveLength(1);
    expect(runs[0]?.isPastDue).toBe(true);
    expect(runs[0]?.scheduleStatus.next).toBe('2025-03-14T02:00:00.000Z');
  });

  it('fires every second on a real clock, not past due, and keeps going after a failure', async () => {
    const runs: Timer[] = [];
    scheduler = schedulerWith('* * * * * *', { now: () => new Date() }, runs, true);
    scheduler.start();
    await waitFor(() => runs.length >= 2, 'two runs', 5000);
    expect(runs[0]?.isPastDue).toBe(false);
  });
});
