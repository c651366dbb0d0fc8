import { describe, expect, it } from 'vitest';
import { FakeWorld, fakeGroup } from '../fakes/index.js';
import type { RunRecord } from '../ports.js';
import { computePlanId, mapLimit, selectGroups } from './batch.js';
import { createRunIdentity } from './identity.js';
import { untilCompromiseHandled, waitForRun } from './wait.js';

const at = new Date('2026-03-01T00:00:00Z');

describe('computePlanId', () => {
  it('is the same for the same selection however it is spelled, and differs otherwise', () => {
    const base = { vaults: ['kv-b', 'kv-a'], compromised: true };
    const a = computePlanId({ ...base, selection: { names: ['B', 'a', 'a'] } }, ['r2', 'r1'], at);
    const b = computePlanId(
      { ...base, vaults: ['kv-a', 'kv-b'], selection: { names: ['a', 'b'] } },
      ['r1', 'r2'],
      at,
    );
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-z]+\.[0-9a-f]{32}$/);
    expect(computePlanId({ ...base, selection: { tag: { Team: ' ai' } } }, [], at)).toBe(
      computePlanId({ ...base, selection: { tag: { team: 'ai' } } }, [], at),
    );
    const other = [
      computePlanId({ ...base, compromised: false, selection: { names: ['a', 'b'] } }, ['r1', 'r2'], at),
      computePlanId({ ...base, selection: { names: ['a', 'b'] } }, ['r1', 'r3'], at),
      computePlanId(
        { ...base, selection: { names: ['a', 'b'] } },
        ['r1', 'r2'],
        new Date(at.getTime() + 1000),
      ),
      computePlanId({ ...base, selection: { all: true } }, ['r1', 'r2'], at),
    ];
    expect(new Set([a, ...other]).size).toBe(5);
  });
});

describe('mapLimit', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, n));
      active -= 1;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});

describe('selectGroups', () => {
  it('finds configured secrets and secrets the catalog infers from tags; one entry per group', async () => {
    const configured = fakeGroup({ id: 'openai', secrets: ['a', 'b'] });
    const inferred = fakeGroup({ id: 'tagged', secrets: ['t'] });
    const world = new FakeWorld({ groups: [configured, inferred] });
    world.store.seed('kv-test', 'a', { value: 'x'.repeat(20), tags: { team: 'ai' } });
    world.store.seed('kv-test', 't', { value: 'y'.repeat(20), tags: { Team: 'ai' } });
    world.store.seed('kv-test', 'unmanaged', { value: 'z'.repeat(20), tags: { team: 'ai' } });
    const all = await selectGroups(world.deps, {
      selection: { all: true },
      vaults: ['kv-test'],
      configured: configured.secrets,
    });
    expect(all.map((g) => [g.group.id, g.selected])).toEqual([
      ['openai', ['a', 'b']],
      ['tagged', ['t']],
    ]);
    const tagged = await selectGroups(world.deps, {
      selection: { tag: { team: 'ai' } },
      vaults: ['kv-test'],
      configured: configured.secrets,
    });
    expect(tagged.map((g) => [g.group.id, g.selected])).toEqual([
      ['openai', ['a']],
      ['tagged', ['t']],
    ]);
    await expect(
      selectGroups(world.deps, {
        selection: { names: ['a'] },
        vaults: ['kv-test', 'kv-other'],
        configured: [],
      }),
    ).rejects.toMatchObject({ code: 'BadRequest' });
  });
});

describe('waitForRun', () => {
  it('follows a compromise to the run of the version the finished normal run wrote', async () => {
    const world = new FakeWorld();
    const first: RunRecord = {
      id: createRunIdentity('kv-test', 'g', 'v1'),
      vault: 'kv-test',
      group: 'g',
      provider: 'jwt-secret',
      secrets: ['s'],
      triggerVersion: 'v1',
      attempt: 1,
      status: 'done',
      phase: 'done',
      phases: [],
      trigger: { kind: 'event' },
      compromised: false,
      previousVersions: { s: 'v1' },
      newVersions: { s: 'V2' },
      consumers: [],
      revoked: [],
      pendingHuman: [],
      alerts: [],
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
    };
    await world.journal.create(first);
    const followId = createRunIdentity('kv-test', 'g', 'v2');
    // The worker creates the follow-up run while the caller polls (here: on the third read).
    const get = world.journal.get.bind(world.journal);
    let reads = 0;
    world.journal.get = async (id) => {
      reads += 1;
      if (reads === 3) {
        await world.journal.create({
          ...first,
          id: followId,
          triggerVersion: 'v2',
          compromised: true,
          status: 'revoked',
        });
      }
      return get(id);
    };
    const result = await waitForRun(world.deps, first.id, untilCompromiseHandled('s'), {
      timeoutMs: 600_000,
    });
    expect(result.done).toBe(true);
    expect(result.run?.id).toBe(followId);
  });
});
