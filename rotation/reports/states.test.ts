import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../ports.js';
import { DAY_MS, deriveState, INVENTORY_STATES, type InventoryState, latestRelevantRun } from './states.js';
import { SAMPLE_NOW, sampleRun } from './testing.js';

const now = SAMPLE_NOW;
const days = (n: number) => new Date(now.getTime() + n * DAY_MS);
const run = (status: RunRecord['status'], created = -2, extra: Partial<RunRecord> = {}): RunRecord => ({
  ...sampleRun({
    id: `run${status}${created}`.padEnd(32, '0'),
    vault: 'kv',
    group: 'g',
    provider: 'jwt-secret',
    secrets: ['s'],
    status,
    created,
  }),
  ...extra,
});

function state(input: Partial<Parameters<typeof deriveState>[0]>): InventoryState {
  return deriveState({ managed: true, now, ...input }).state;
}

describe('deriveState: each state', () => {
  it('ok: managed, expiry beyond the 30-day window', () => {
    const decision = deriveState({ managed: true, now, expiresOn: days(45), createdOn: days(-45) });
    expect(decision).toMatchObject({
      state: 'ok',
      daysLeft: 45,
      inWindow: false,
      reason: 'expires in 45 days',
    });
  });

  it('due: inside the window before a sweep has seen it', () => {
    const decision = deriveState({
      managed: true,
      now,
      expiresOn: days(29.5),
      lastSweepAt: new Date(now.getTime() - 3_600_000 * 20),
    });
    expect(decision).toMatchObject({ state: 'due', inWindow: true, daysLeft: 29 });
  });

  it('overdue: inside the window and a sweep ran since it entered it', () => {
    expect(state({ expiresOn: days(20), lastSweepAt: days(-1) })).toBe('overdue');
    // Exactly at the window start the sweep has not seen it yet.
    expect(state({ expiresOn: days(20), lastSweepAt: days(-10) })).toBe('due');
  });

  it('overdue without a heartbeat: 25 hours in the window', () => {
    expect(state({ expiresOn: days(28.9) })).toBe('overdue');
    expect(state({ expiresOn: days(29.5) })).toBe('due');
  });

  it('a version written inside the window enters it when written', () => {
    expect(state({ expiresOn: days(5), createdOn: new Date(now.getTime() - 3_600_000) })).toBe('due');
    expect(state({ expiresOn: days(5), createdOn: days(-2) })).toBe('overdue');
    expect(state({ expiresOn: days(5), createdOn: days(-2), lastSweepAt: days(-3) })).toBe('due');
    expect(state({ expiresOn: days(5), createdOn: days(-2), lastSweepAt: days(-1) })).toBe('overdue');
  });

  it('a run in progress keeps a secret due, not overdue', () => {
    expect(state({ expiresOn: days(20), lastSweepAt: days(-1), lastRun: run('running', 0) })).toBe('due');
    expect(state({ expiresOn: days(20), lastSweepAt: days(-1), lastRun: run('queued', 0) })).toBe('due');
  });

  it('expired: expiry in the past (managed or not)', () => {
    expect(deriveState({ managed: true, now, expiresOn: days(-3) })).toMatchObject({
      state: 'expired',
      daysLeft: -3,
      reason: 'expired 3 days ago',
      inWindow: true,
    });
    expect(state({ managed: false, expiresOn: days(-1) })).toBe('expired');
    expect(state({ expiresOn: now })).toBe('expired');
  });

  it('no-expiry: managed secret without exp', () => {
    expect(deriveState({ managed: true, now })).toMatchObject({ state: 'no-expiry', inWindow: false });
  });

  it('unmanaged: not configured and not tagged, whether due or without expiry', () => {
    expect(state({ managed: false })).toBe('unmanaged');
    expect(state({ managed: false, expiresOn: days(5) })).toBe('unmanaged');
    expect(deriveState({ managed: false, now, expiresOn: days(5) }).inWindow).toBe(false);
  });

  it('failing: last run failed, or its message was poisoned', () => {
    expect(
      deriveState({
        managed: true,
        now,
        expiresOn: days(60),
        createdOn: days(-30),
        lastRun: run('failed', -1, { error: { code: 'ProviderUnavailable', message: 'x', phase: 'issued' } }),
      }),
    ).toMatchObject({
      state: 'failing',
      reason: 'last run failed at issued: ProviderUnavailable',
    });
    const poisoned = run('running', -1, {
      alerts: [
        { kind: 'poison-message', channel: 'ops', status: 'sent', attempts: 1, at: days(-1).toISOString() },
      ],
    });
    expect(state({ expiresOn: days(60), lastRun: poisoned })).toBe('failing');
  });

  it('manual-action-required: the last run waits for a human', () => {
    expect(
      state({ expiresOn: days(10), createdOn: days(-80), lastRun: run('manual-action-required', -1) }),
    ).toBe('manual-action-required');
  });
});

describe('deriveState: precedence', () => {
  it('orders the states failing > expired > manual > overdue > due > no-expiry > unmanaged > ok', () => {
    expect(INVENTORY_STATES).toEqual([
      'failing',
      'expired',
      'manual-action-required',
      'overdue',
      'due',
      'no-expiry',
      'unmanaged',
      'ok',
    ]);
  });

  it('failing beats expired, manual, overdue and no-expiry', () => {
    const failed = run('failed', -1);
    expect(state({ expiresOn: days(-2), lastRun: failed })).toBe('failing');
    expect(state({ expiresOn: days(20), lastSweepAt: days(-1), lastRun: failed })).toBe('failing');
    expect(state({ lastRun: failed })).toBe('failing');
  });

  it('expired beats manual-action-required', () => {
    expect(state({ expiresOn: days(-1), lastRun: run('manual-action-required', -3) })).toBe('expired');
  });

  it('manual-action-required beats overdue and due', () => {
    const manual = run('manual-action-required', -1);
    expect(state({ expiresOn: days(20), lastSweepAt: days(-1), lastRun: manual })).toBe(
      'manual-action-required',
    );
    expect(state({ expiresOn: days(29.9), lastRun: manual })).toBe('manual-action-required');
  });

  it('overdue beats due; due beats ok', () => {
    expect(state({ expiresOn: days(25), lastSweepAt: days(-1) })).toBe('overdue');
    expect(state({ expiresOn: days(30) })).toBe('due');
    expect(state({ expiresOn: days(30.5) })).toBe('ok');
  });

  it('a run outcome no longer applies once a newer version was written after it', () => {
    const failed = run('failed', -5);
    expect(state({ expiresOn: days(85), createdOn: days(-1), lastRun: failed })).toBe('ok');
    expect(
      state({ expiresOn: days(85), createdOn: days(-1), lastRun: run('manual-action-required', -5) }),
    ).toBe('ok');
    // A version written by the failing run itself (partial promotion) keeps it failing.
    expect(state({ expiresOn: days(85), createdOn: days(-5), lastRun: failed })).toBe('failing');
  });

  it('run outcomes never apply to unmanaged secrets', () => {
    expect(state({ managed: false, lastRun: run('failed', -1) })).toBe('unmanaged');
  });
});

describe('latestRelevantRun', () => {
  it('prefers the newest run that is not a skipped trigger', () => {
    const failed = run('failed', -3);
    const skipped = run('skipped', -1);
    expect(latestRelevantRun([failed, skipped])?.id).toBe(failed.id);
    expect(latestRelevantRun([skipped])?.id).toBe(skipped.id);
    expect(latestRelevantRun([run('done', -10), failed])?.id).toBe(failed.id);
    expect(latestRelevantRun([])).toBeUndefined();
  });
});
