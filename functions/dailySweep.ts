/**
 * `dailySweep` — timer `%SWEEP_SCHEDULE%` (default `0 0 2 * * *`): queues due secrets whose event never
 * came, resumes unfinished runs, retires JWT versions past their grace period, sends the digest and
 * writes the heartbeat (`rotation/sweep`). A partial sweep is logged, not thrown (the next day retries);
 * a sweep that could not read the inventory fails the invocation so the platform shows it.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import type { GetApp, RotatorApp } from '../composition/app.js';
import { getRotatorApp } from '../composition/instance.js';
import { RotationError } from '../rotation/errors.js';
import { runSweep, type SweepResult, type VersionRetirer } from '../rotation/sweep/index.js';
import type { TimerFunctionDefinition, TimerFunctionHandler } from './definition.js';

/**
 * Version retirers by provider kind. Loaded on first use: provider modules stay out of cold starts.
 * The only one today is jwt-secret's (`disableExpiredJwtVersions`).
 */
export async function loadRetirers(): Promise<{ 'jwt-secret': VersionRetirer }> {
  const { disableExpiredJwtVersions } = await import('../providers/jwt-secret/index.js');
  return { 'jwt-secret': disableExpiredJwtVersions };
}

/** Runs the sweep over an app (the timer, `rotator sweep`-style callers and tests). */
export async function sweepApp(
  app: RotatorApp,
  trigger: 'timer' | 'cli' | 'http' = 'timer',
): Promise<SweepResult> {
  return runSweep({
    engine: app.engine,
    config: app.config,
    heartbeat: app.heartbeat,
    concurrency: app.settings.ROTATION_CONCURRENCY,
    retirers: await loadRetirers(),
    trigger,
  });
}

export function createDailySweepHandler(getApp: GetApp): TimerFunctionHandler {
  return async (timer: Timer, context: InvocationContext): Promise<void> => {
    const app = await getApp();
    if (timer.isPastDue) context.warn('daily sweep is running late (the previous schedule was missed)');
    const result = await sweepApp(app);
    const beat = result.heartbeat;
    const summary = {
      id: beat.id,
      outcome: beat.outcome,
      vaults: beat.vaults,
      secrets: beat.secrets,
      steps: beat.steps.map((s) => `${s.name}:${s.status}`).join(' '),
      problems: beat.problems.length,
    };
    if (beat.outcome === 'ok') context.log('daily sweep finished', summary);
    else context.warn('daily sweep finished with problems', { ...summary, first: beat.problems.slice(0, 5) });
    if (beat.outcome === 'failed') {
      const first = beat.problems[0];
      throw new RotationError(
        'AzureUnavailable',
        `daily sweep failed: ${first ? `${first.code}: ${first.message}` : 'no inventory'}`,
      );
    }
  };
}

export const dailySweep: TimerFunctionDefinition = {
  name: 'dailySweep',
  trigger: { type: 'timer', schedule: '%SWEEP_SCHEDULE%' },
  handler: createDailySweepHandler(getRotatorApp),
};
