import { describe, expect, it } from 'vitest';
import { DAY, type ManualWorld, manualWorld, VAULT } from '../../test/support/manual-world.js';
import { enqueueRotation } from '../engine/index.js';
import { runRequest } from '../fakes/index.js';
import { dueThresholds, sendManualReminders } from './reminders.js';
import { submitSecretVersion } from './submit.js';

const REMINDERS = [30, 14, 7, 3, 1];

async function openTask(w: ManualWorld) {
  await enqueueRotation(
    w.world.deps,
    runRequest(w.world, { vault: VAULT, secret: 'groq-api-key', trigger: { kind: 'http' } }),
  );
  const [run] = await w.world.drain();
  return run!;
}

/** Plays the daily sweep at 02:00 for `days` days from the start; returns the reminder alerts per day. */
async function sweepDaily(w: ManualWorld, start: Date, days: number) {
  const sent: { day: number; title: string; severity: string }[] = [];
  for (let day = 0; day <= days; day++) {
    w.world.clock.set(new Date(start.getTime() + day * DAY + 2 * 3_600_000));
    const before = w.world.notifier.alerts.length;
    await sendManualReminders(w.world.deps, REMINDERS);
    for (const alert of w.world.notifier.alerts.slice(before)) {
      sent.push({ day, title: alert.title, severity: alert.severity });
    }
  }
  return sent;
}

describe('manual task reminders (sweep step)', () => {
  it('reminds at 30, 14, 7, 3 and 1 days before expiry, each exactly once, and escalates once when it expires', async () => {
    const w = manualWorld({ expiresInDays: 35 });
    const start = w.world.clock.now();
    const task = await openTask(w);
    const sent = await sweepDaily(w, start, 40);
    expect(
      sent.map((s) => [s.day, s.title.startsWith('OVERDUE') ? 'overdue' : s.title.match(/in (\d+) day/)![1]]),
    ).toEqual([
      [5, '30'],
      [21, '14'],
      [28, '7'],
      [32, '3'],
      [34, '1'],
      [35, 'overdue'],
    ]);
    expect(sent.map((s) => s.severity)).toEqual([
      'warning',
      'warning',
      'warning',
      'warning',
      'critical',
      'critical',
    ]);
    const run = w.world.journal.peek(task.id)!;
    expect(run.task?.reminders.map((r) => r.days)).toEqual([30, 14, 7, 3, 1]);
    expect(run.task?.escalatedAt).toBe(new Date(start.getTime() + 35 * DAY + 2 * 3_600_000).toISOString());
    expect(run.status).toBe('manual-action-required');
    const reminder = w.world.notifier.ofKind('manual-action-required').at(-2)!;
    expect(reminder.text).toContain('POST /api/secrets/groq-api-key/versions');
    expect(reminder.text).toContain('ai-platform@example.com');
    expect(JSON.stringify(w.world.notifier.alerts)).not.toContain(w.groqKey);
  });

  it('thresholds passed when the task opened are covered by the opening alert; missed sweeps send one reminder', async () => {
    const w = manualWorld({ expiresInDays: 30 });
    const start = w.world.clock.now();
    const task = await openTask(w);
    expect(await sendManualReminders(w.world.deps, REMINDERS)).toMatchObject({ tasks: 1, reminded: 0 });
    w.world.clock.set(new Date(start.getTime() + 25 * DAY));
    expect(await sendManualReminders(w.world.deps, REMINDERS)).toMatchObject({ reminded: 1 });
    const alerts = w.world.notifier.ofKind('manual-action-required');
    expect(alerts.at(-1)!.title).toContain('in 5 days');
    expect(w.world.journal.peek(task.id)!.task?.reminders.map((r) => r.days)).toEqual([14, 7]);
    expect(await sendManualReminders(w.world.deps, REMINDERS)).toMatchObject({ reminded: 0 });
  });

  it('stops once the task is closed; skips a group whose lease is held', async () => {
    const w = manualWorld({ expiresInDays: 20 });
    const start = w.world.clock.now();
    await openTask(w);
    w.world.clock.set(new Date(start.getTime() + 14 * DAY));
    const lease = await w.world.locks.tryAcquire('kv-test/groq-api-key', 30);
    expect(await sendManualReminders(w.world.deps, REMINDERS)).toMatchObject({ busy: 1, reminded: 0 });
    await lease!.release();
    expect(await sendManualReminders(w.world.deps, REMINDERS)).toMatchObject({ reminded: 1 });
    await submitSecretVersion(w.world.deps, { vault: VAULT, secret: 'groq-api-key', value: w.groq.mint() });
    w.world.clock.set(new Date(start.getTime() + 30 * DAY));
    expect(await sendManualReminders(w.world.deps, REMINDERS)).toMatchObject({
      tasks: 0,
      reminded: 0,
      escalated: 0,
    });
  });

  it('urgent (compromised) tasks remind as critical', async () => {
    const w = manualWorld({ expiresInDays: 10 });
    const start = w.world.clock.now();
    await enqueueRotation(
      w.world.deps,
      runRequest(w.world, {
        vault: VAULT,
        secret: 'groq-api-key',
        compromised: true,
        trigger: { kind: 'http' },
      }),
    );
    await w.world.drain();
    w.world.clock.set(new Date(start.getTime() + 4 * DAY));
    await sendManualReminders(w.world.deps, REMINDERS);
    expect(w.world.notifier.alerts.at(-1)).toMatchObject({
      severity: 'critical',
      title: expect.stringContaining('URGENT'),
    });
  });

  it('dueThresholds: after opening, not yet sent, before the deadline', () => {
    const deadline = new Date('2026-04-01T00:00:00Z');
    const task = { openedAt: '2026-03-01T00:00:00Z', reminders: [{ days: 14 }] };
    expect(dueThresholds(REMINDERS, task, deadline, new Date('2026-03-01T12:00:00Z'))).toEqual([]);
    expect(dueThresholds(REMINDERS, task, deadline, new Date('2026-03-10T00:00:00Z'))).toEqual([30]);
    task.reminders.push({ days: 30 });
    expect(dueThresholds(REMINDERS, task, deadline, new Date('2026-03-25T00:00:00Z'))).toEqual([7]);
    expect(dueThresholds(REMINDERS, task, deadline, new Date('2026-03-31T12:00:00Z'))).toEqual([7, 3, 1]);
    expect(dueThresholds(REMINDERS, task, deadline, deadline)).toEqual([]);
  });
});
