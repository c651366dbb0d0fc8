import { describe, expect, it, vi } from 'vitest';
import { RotationError } from '../errors.js';
import { FakeSecretStore, FakeWorld, fakeGroup } from '../fakes/index.js';
import type { RunRecord } from '../ports.js';
import { type BatchInput, computePlanId, startBatch } from './batch.js';
import { createRunIdentity } from './identity.js';
import { selectGroups } from './selection.js';
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

describe('startBatch', () => {
  /** A store whose listing stops after each page until `next()` lets it go on (or fails it). */
  function pagedListing(world: FakeWorld) {
    const inner = world.store.listSecrets.bind(world.store);
    let release: (outcome: 'go' | 'fail') => void = () => {};
    let pages = 0;
    world.store.listSecrets = async function* (vault: string) {
      for await (const props of inner(vault)) {
        const outcome = await new Promise<'go' | 'fail'>((resolve) => {
          release = resolve;
          pages += 1;
        });
        if (outcome === 'fail')
          throw new RotationError('AzureUnavailable', 'listing failed', { transient: true });
        yield props;
      }
    };
    return { next: (outcome: 'go' | 'fail' = 'go') => release(outcome), pages: () => pages };
  }

  function batchWorld() {
    const configured = fakeGroup({ id: 'openai', secrets: ['a', 'b'] });
    const inferred = fakeGroup({ id: 'tagged', secrets: ['t'] });
    const world = new FakeWorld({ groups: [configured, inferred] });
    world.store.seed('kv-test', 'a', { value: 'x'.repeat(20) });
    world.store.seed('kv-test', 'b', { value: 'x'.repeat(20) });
    world.store.seed('kv-test', 't', { value: 'y'.repeat(20) });
    const input: BatchInput = {
      selection: { all: true },
      vaults: ['kv-test'],
      configured: configured.secrets,
      compromised: false,
      trigger: { kind: 'http' },
    };
    return { world, input };
  }

  it('queues configured groups while the vault is still being listed, tag-managed ones as listed', async () => {
    const { world, input } = batchWorld();
    const listing = pagedListing(world);
    const batch = startBatch(world.deps, input);
    await vi.waitFor(() => expect(world.queue.messages).toHaveLength(1)); // openai: no listing needed
    expect(listing.pages()).toBe(1);
    for (let i = 0; i < 3; i++) {
      await vi.waitFor(() => expect(listing.pages()).toBe(i + 1));
      listing.next();
    }
    const started = await batch;
    expect(started.map((g) => [g.group.id, g.selected, g.outcome?.run.status])).toEqual([
      ['openai', ['a', 'b'], 'queued'],
      ['tagged', ['t'], 'queued'],
    ]);
    expect(world.queue.messages).toHaveLength(2);
  });

  it('fails when the listing fails part-way, after queuing what it found; a retry duplicates nothing', async () => {
    const { world, input } = batchWorld();
    const listing = pagedListing(world);
    const batch = startBatch(world.deps, input);
    await vi.waitFor(() => expect(listing.pages()).toBe(1));
    listing.next('fail');
    await expect(batch).rejects.toMatchObject({ code: 'AzureUnavailable' });
    expect(world.queue.messages).toHaveLength(1);
    world.store.listSecrets = FakeSecretStore.prototype.listSecrets.bind(world.store);
    const again = await startBatch(world.deps, input);
    expect(again.map((g) => [g.group.id, g.outcome?.created])).toEqual([
      ['openai', false],
      ['tagged', true],
    ]);
    // one run per group: the retry named openai's run as the first call did
    const runs = new Set(world.queue.messages.map((m) => `${m.request.secret}@${m.request.triggerVersion}`));
    expect(runs.size).toBe(2);
    expect(again[0]!.outcome?.run.id).toBe(
      createRunIdentity('kv-test', 'openai', world.queue.messages[0]!.request.triggerVersion!),
    );
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
