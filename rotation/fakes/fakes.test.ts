import { describe, expect, it } from 'vitest';
import { isRotationError } from '../errors.js';
import type { RunRecord } from '../ports.js';
import { FakeClock } from './clock.js';
import { FaultInjector, SimulatedCrash } from './faults.js';
import { FakeJournal } from './journal.js';
import { FakeLockManager } from './locks.js';
import { FakeRunQueue } from './queue.js';
import { FakeSecretStore } from './secret-store.js';
import { runRequest } from './world.js';

describe('FakeClock', () => {
  it('wakes sleepers in deadline order when advanced', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    const woke: string[] = [];
    const a = clock.sleep(2_000).then(() => woke.push(`a@${clock.now().toISOString()}`));
    const b = clock.sleep(1_000).then(() => woke.push('b'));
    clock.advance(999);
    await Promise.resolve();
    expect(woke).toEqual([]);
    clock.advance(1_001);
    await Promise.all([a, b]);
    expect(woke).toEqual(['b', 'a@2026-01-01T00:00:02.000Z']);
    expect(() => clock.set(new Date('2025-01-01'))).toThrow(/backwards/);
  });

  it('auto-advances to the earliest deadline when everything is idle', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z', { autoAdvance: true });
    await clock.sleep(300_000);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:05:00.000Z');
  });

  it('rejects and forgets an aborted sleep', async () => {
    const clock = new FakeClock();
    const abort = new AbortController();
    const sleeping = clock.sleep(1_000, abort.signal);
    abort.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
  });
});

describe('FakeSecretStore', () => {
  it('serves the latest version, case-insensitively, and refuses it when disabled', async () => {
    const store = new FakeSecretStore(new FakeClock());
    store.seed('KV', 'Api-Key', { value: 'one', tags: { a: '1' } });
    const two = store.seed('kv', 'api-key', { value: 'two' });
    expect((await store.getCurrent('kv', 'API-KEY'))?.value).toBe('two');
    await store.updateVersion('kv', 'api-key', two.version, { enabled: false });
    await expect(store.getCurrent('kv', 'api-key')).rejects.toMatchObject({ code: 'PermissionDenied' });
    const versions = [];
    for await (const v of store.listVersions('kv', 'api-key')) versions.push(v);
    expect(versions.map((v) => [v.enabled, 'value' in v])).toEqual([
      [true, false],
      [false, false],
    ]);
  });

  it('refuses more than 15 tags like Key Vault', async () => {
    const store = new FakeSecretStore(new FakeClock());
    const tags = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, 'v']));
    await expect(store.setSecret('kv', 's', { value: 'x', tags })).rejects.toMatchObject({
      code: 'BadRequest',
    });
  });
});

describe('FakeJournal', () => {
  it('creates once and replaces only with the current etag', async () => {
    const journal = new FakeJournal();
    const run = sampleRun();
    const { etag } = await journal.create(run);
    await expect(journal.create(run)).rejects.toMatchObject({ code: 'RunInProgress' });
    const { etag: next } = await journal.replace({ ...run, status: 'running' }, etag);
    await expect(journal.replace(run, etag)).rejects.toMatchObject({ code: 'RunInProgress' });
    expect(next).not.toBe(etag);
    expect((await journal.get(run.id))?.run.status).toBe('running');
    expect(await journal.latestForGroup('KV', 'G')).toMatchObject({ id: run.id });
  });
});

describe('FakeLockManager', () => {
  it('gives one holder at a time; leases expire on the clock; a taken lease cannot be renewed', async () => {
    const clock = new FakeClock();
    const locks = new FakeLockManager(clock);
    const first = await locks.tryAcquire('kv/g', 30);
    expect(first).toBeDefined();
    expect(await locks.tryAcquire('kv/g', 30)).toBeUndefined();
    clock.advance(20_000);
    await first!.renew();
    clock.advance(20_000);
    expect(await locks.tryAcquire('kv/g', 30)).toBeUndefined();
    clock.advance(11_000);
    const second = await locks.tryAcquire('kv/g', 30);
    expect(second).toBeDefined();
    await expect(first!.renew()).rejects.toSatisfy((e: unknown) => isRotationError(e, 'LeaseLost'));
    await first!.release();
    expect(locks.isHeld('kv/g')).toBe(true);
    await second!.release();
    expect(locks.isHeld('kv/g')).toBe(false);
    await expect(locks.tryAcquire('kv/g', 5)).rejects.toMatchObject({ code: 'BadRequest' });
  });
});

describe('FakeRunQueue', () => {
  it('hides delayed messages until the clock reaches them', async () => {
    const clock = new FakeClock();
    const queue = new FakeRunQueue(clock);
    await queue.enqueue(runRequest({ clock }, { secret: 'a' }));
    await queue.enqueue(runRequest({ clock }, { secret: 'b' }), { visibilityDelaySeconds: 60 });
    expect(queue.takeVisible().map((r) => r.secret)).toEqual(['a']);
    clock.advance(60_000);
    expect(queue.takeVisible().map((r) => r.secret)).toEqual(['b']);
  });
});

describe('FaultInjector', () => {
  it('fails by rule, by index, and everything after a crash until recover', () => {
    const faults = new FaultInjector();
    faults.inject({ op: 'x', skip: 1, times: 1 });
    faults.hit('x');
    expect(() => faults.hit('x')).toThrow(/injected fault at x/);
    faults.hit('x');
    faults.failAt(3, { crash: true });
    expect(() => faults.hit('y')).toThrow(SimulatedCrash);
    expect(() => faults.hit('z')).toThrow(SimulatedCrash);
    expect(faults.crashed).toBe(true);
    faults.recover();
    faults.hit('z');
    expect(faults.calls).toEqual(['x', 'x', 'x', 'y', 'z']);
    expect(faults.injected).toEqual([
      { index: 1, op: 'x' },
      { index: 3, op: 'y' },
    ]);
  });
});

function sampleRun(): RunRecord {
  return {
    id: 'r1',
    vault: 'kv',
    group: 'g',
    provider: 'jwt-secret',
    secrets: ['s'],
    triggerVersion: 'v',
    attempt: 1,
    status: 'queued',
    phase: 'queued',
    phases: [],
    trigger: { kind: 'event' },
    compromised: false,
    previousVersions: {},
    newVersions: {},
    consumers: [],
    revoked: [],
    pendingHuman: [],
    alerts: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}
