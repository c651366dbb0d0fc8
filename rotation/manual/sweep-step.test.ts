import { describe, expect, it } from 'vitest';
import { DAY, manualWorld, VAULT } from '../../test/support/manual-world.js';
import { enqueueRotation } from '../engine/index.js';
import { runRequest } from '../fakes/index.js';
import { runSweep } from '../sweep/run.js';
import { manualRemindersStep } from './sweep-step.js';

describe('manual-reminders sweep step', () => {
  it('runs in the sweep and reports what it did in the heartbeat', async () => {
    const w = manualWorld({ expiresInDays: 40 });
    const start = w.world.clock.now();
    await enqueueRotation(
      w.world.deps,
      runRequest(w.world, { vault: VAULT, secret: 'groq-api-key', trigger: { kind: 'http' } }),
    );
    await w.world.drain();
    w.world.clock.set(new Date(start.getTime() + 27 * DAY));
    const result = await runSweep({
      engine: w.app.engine,
      config: w.app.config,
      steps: [manualRemindersStep],
    });
    const step = result.steps.find((s) => s.name === 'manual-reminders');
    expect(step).toMatchObject({
      status: 'ok',
      counts: { tasks: 1, reminded: 1, escalated: 0, busy: 0, failed: 0 },
    });
    expect(step?.notes).toEqual(['reminded owners of 1 manual rotation task(s)']);
    expect(w.world.notifier.ofKind('manual-action-required').at(-1)!.title).toContain('in 13 days');
  });
});
