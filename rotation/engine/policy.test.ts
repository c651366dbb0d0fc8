import { describe, expect, it } from 'vitest';
import type { RunPhase, RunStatus } from '../kinds.js';
import type { RunRecord } from '../ports.js';
import { DEFAULT_SETTINGS } from './deps.js';
import { checkValidity, spacingReason, startDecision } from './policy.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;

function run(status: RunStatus, phase: RunPhase, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id: `run-${status}-${phase}`,
    vault: 'kv',
    group: 'g',
    provider: 'jwt-secret',
    secrets: ['s'],
    triggerVersion: 'v1',
    attempt: 1,
    status,
    phase,
    phases: [{ phase, at: iso(T0) }],
    trigger: { kind: 'event' },
    compromised: false,
    previousVersions: {},
    newVersions: {},
    consumers: [],
    revoked: [],
    pendingHuman: [],
    alerts: [],
    createdAt: iso(T0),
    updatedAt: iso(T0),
    ...extra,
  };
}

describe('startDecision', () => {
  const at = (ms: number) => ({ trigger: { kind: 'event' as const }, requestedAt: iso(ms) });

  it('starts queued runs and resumes running ones', () => {
    expect(startDecision(run('queued', 'queued'), at(T0), new Date(T0), DEFAULT_SETTINGS).action).toBe(
      'start',
    );
    expect(startDecision(run('running', 'issued'), at(T0), new Date(T0), DEFAULT_SETTINGS).action).toBe(
      'resume',
    );
  });

  it('retries a failed run after the cool-down, at once over HTTP, never for an older message', () => {
    const failed = run('failed', 'issued', { finishedAt: iso(T0) });
    const soon = startDecision(failed, at(T0 + 10 * 60_000), new Date(T0 + 10 * 60_000), DEFAULT_SETTINGS);
    expect(soon).toEqual({ action: 'report', reason: expect.any(String), retryAt: new Date(T0 + HOUR) });
    expect(startDecision(failed, at(T0 + HOUR), new Date(T0 + HOUR), DEFAULT_SETTINGS).action).toBe('retry');
    const http = { trigger: { kind: 'http' as const }, requestedAt: iso(T0 + 1) };
    expect(startDecision(failed, http, new Date(T0 + 1), DEFAULT_SETTINGS).action).toBe('retry');
    const cli = { trigger: { kind: 'cli' as const }, requestedAt: iso(T0 + 1) };
    expect(startDecision(failed, cli, new Date(T0 + 1), DEFAULT_SETTINGS).action).toBe('retry');
    expect(startDecision(failed, at(T0 - 1), new Date(T0 + 2 * HOUR), DEFAULT_SETTINGS).action).toBe(
      'report',
    );
    expect(
      startDecision(failed, at(T0 + 5 * 60_000), new Date(T0 + 5 * 60_000), {
        ...DEFAULT_SETTINGS,
        retryFailedAfterMinutes: 5,
      }).action,
    ).toBe('retry');
  });

  it('re-evaluates paused and spacing skips, but not stale ones or finished runs', () => {
    const skip = (code: string) =>
      run('skipped', 'queued', { finishedAt: iso(T0), error: { code, message: '', phase: 'queued' } });
    expect(startDecision(skip('RotationPaused'), at(T0 + 1), new Date(T0 + 1), DEFAULT_SETTINGS).action).toBe(
      'start',
    );
    expect(
      startDecision(skip('SpacingNotElapsed'), at(T0 + 1), new Date(T0 + 1), DEFAULT_SETTINGS).action,
    ).toBe('start');
    expect(startDecision(skip('StaleTrigger'), at(T0 + 1), new Date(T0 + 1), DEFAULT_SETTINGS).action).toBe(
      'report',
    );
    for (const status of ['done', 'revoked', 'manual-action-required', 'propagated-with-errors'] as const) {
      expect(startDecision(run(status, 'done'), at(T0 + 1), new Date(T0 + 1), DEFAULT_SETTINGS).action).toBe(
        'report',
      );
    }
  });
});

describe('spacingReason', () => {
  const group = { minIntervalHours: 24 };
  const live = (hoursAgo: number) =>
    run('done', 'done', { phases: [{ phase: 'propagated', at: iso(T0 - hoursAgo * HOUR) }] });

  it('blocks within minIntervalHours of the previous run going live', () => {
    expect(spacingReason([live(2)], group, new Date(T0))).toContain('minIntervalHours 24');
    expect(spacingReason([live(25)], group, new Date(T0))).toBeUndefined();
    expect(spacingReason([live(25), live(1)], group, new Date(T0))).toBeDefined();
  });

  it('blocks while a previous run is in flight or failed between validated and propagated', () => {
    expect(spacingReason([run('running', 'claimed')], group, new Date(T0))).toContain(
      'has not reached propagated',
    );
    expect(spacingReason([run('failed', 'validated')], group, new Date(T0))).toBeDefined();
    expect(spacingReason([run('failed', 'promoted')], group, new Date(T0))).toBeDefined();
  });

  it('ignores runs that changed nothing', () => {
    expect(
      spacingReason(
        [run('failed', 'issued'), run('skipped', 'queued'), run('queued', 'queued')],
        group,
        new Date(T0),
      ),
    ).toBeUndefined();
  });
});

describe('checkValidity', () => {
  it('requires at least 31 days', () => {
    expect(() => checkValidity({ id: 'g', validityDays: 31 })).not.toThrow();
    expect(() => checkValidity({ id: 'g', validityDays: 30 })).toThrow(/at least 31/);
  });
});
