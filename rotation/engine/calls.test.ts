/**
 * What one rotation costs in calls and round trips (issue 11, `npm run bench` measures it against the
 * emulator): each secret of the group is read once and written once per attempt, the reads and the
 * writes of a group run in parallel, the provider's preparation overlaps the reads, and a run journals
 * each phase once, ending with the propagation write when nothing is left to revoke.
 */
import { describe, expect, it, vi } from 'vitest';
import { createScenario } from '../fakes/scenario.js';
import { FakeWorld, fakeGroup, runRequest } from '../fakes/world.js';
import { RUN_PHASES } from '../kinds.js';
import type { Journal, Propagator, ProviderContext, RunRecord } from '../ports.js';
import { enqueueRotation } from './enqueue.js';
import { executeRun } from './execute.js';
import { tryAcquireSlot } from './slots.js';
import { waitForRuns } from './wait.js';

/** Counts calls of `method` on `target` and the most that were in flight at once. */
function track<T extends object>(target: T, method: keyof T & string, delayMs = 0) {
  const original: unknown = target[method];
  if (typeof original !== 'function') throw new Error(`${method} is not a method`);
  const stats = { calls: 0, inFlight: 0, peak: 0 };
  Object.defineProperty(target, method, {
    configurable: true,
    // Not async itself: `list` returns an async iterable, which is passed through as it is.
    value: (...args: unknown[]) => {
      stats.calls += 1;
      if (delayMs === 0) return original.apply(target, args);
      stats.inFlight += 1;
      stats.peak = Math.max(stats.peak, stats.inFlight);
      return new Promise((resolve) => setTimeout(resolve, delayMs))
        .then(() => original.apply(target, args))
        .finally(() => {
          stats.inFlight -= 1;
        });
    },
  });
  return stats;
}

/**
 * Logs each journal write of `world` into `events` as `write <phase>` and `<phase> journaled` (phases
 * `only` names, or all), each write taking `delayMs`; `seen` gets each written record as it was sent.
 */
function journalWrites(
  world: { journal: { replace: Journal['replace'] } },
  events: string[],
  options: { delayMs?: number; only?: readonly string[]; seen?: (run: RunRecord) => void } = {},
): void {
  const replace = world.journal.replace.bind(world.journal);
  const logged = (phase: string) => !options.only || options.only.includes(phase);
  world.journal.replace = async (run, etag) => {
    if (logged(run.phase)) events.push(`write ${run.phase}`);
    options.seen?.(structuredClone(run));
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    const written = await replace(run, etag);
    if (logged(run.phase)) events.push(`${run.phase} journaled`);
    return written;
  };
}

/** Every phase of a run that revokes nothing, in order. */
const NORMAL_RUN_PHASES = RUN_PHASES.filter((phase) => phase !== 'revoked');

describe('calls per rotation', () => {
  it('reads and writes each secret of the group once, in parallel, and journals each phase once', async () => {
    const { world, group, request } = createScenario();
    await enqueueRotation(world.deps, request());
    const reads = track(world.store, 'getCurrent', 5);
    const writes = track(world.store, 'setSecret', 5);
    const journal = track(world.journal, 'replace');
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'done' });
    expect(reads).toMatchObject({ calls: group.secrets.length, peak: group.secrets.length });
    expect(writes).toMatchObject({ calls: group.secrets.length, peak: group.secrets.length });
    // claimed, issued, validated, promoted, propagated + done
    expect(journal.calls).toBe(5);
    expect(run!.phases.map((p) => p.phase)).toEqual(NORMAL_RUN_PHASES);
  });

  it('a credential issued in process is validated first, then journaled issued and validated in one write', async () => {
    const { world, request } = createScenario({ provider: { issuing: 'in-process', retrieve: false } });
    await enqueueRotation(world.deps, request());
    const events: string[] = [];
    journalWrites(world, events);
    world.faults.onCall((hit) => {
      if (hit.op.endsWith('.validate')) events.push('validate');
    });
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'done' });
    expect(events).toEqual([
      'write claimed',
      'claimed journaled',
      'validate',
      'write validated',
      'validated journaled',
      'write promoted',
      'promoted journaled',
      'write done',
      'done journaled',
    ]);
    expect(run!.phases.map((p) => p.phase)).toEqual(NORMAL_RUN_PHASES);
    expect(run!.previousVersions).not.toEqual({});
  });

  it('a compromised run still journals propagated, revoked and done apart', async () => {
    const { world, request } = createScenario();
    await enqueueRotation(world.deps, request({ compromised: true }));
    const journal = track(world.journal, 'replace');
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'revoked', compromised: true });
    expect(run!.phases.map((p) => p.phase).slice(-3)).toEqual(['propagated', 'revoked', 'done']);
    // one write per phase: claimed, issued, validated, promoted, propagated, revoked, done
    expect(journal.calls).toBe(7);
  });

  it("starts the provider's preparation before the reads finish, with the context issue gets", async () => {
    const { world, group, provider, request } = createScenario();
    const order: string[] = [];
    const contexts: ProviderContext<unknown>[] = [];
    const issue = provider.issue.bind(provider);
    world.providers[group.provider] = {
      ...provider,
      prepare(ctx) {
        order.push('prepare');
        contexts.push(ctx);
      },
      issue(ctx, current) {
        order.push('issue');
        contexts.push(ctx);
        return issue(ctx as never, current);
      },
    };
    const getCurrent = world.store.getCurrent.bind(world.store);
    vi.spyOn(world.store, 'getCurrent').mockImplementation(async (vault, name) => {
      order.push('read');
      return getCurrent(vault, name);
    });
    await enqueueRotation(world.deps, request());
    order.length = 0;
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'done' });
    expect(order).toEqual(['prepare', 'read', 'read', 'issue']);
    expect(contexts[0]).toBe(contexts[1]);
  });

  it('does not prepare a run that is skipped before reading (kill switch)', async () => {
    const { world, group, provider, request } = createScenario();
    const prepare = vi.fn();
    world.providers[group.provider] = { ...provider, prepare };
    await enqueueRotation(world.deps, request());
    world.settings.paused = true;
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'skipped' });
    expect(prepare).not.toHaveBeenCalled();
  });
});

describe('round trips per rotation', () => {
  it('takes the run slot and the group lease together, and reads the group alongside the journal row', async () => {
    const { world, request } = createScenario();
    await enqueueRotation(world.deps, request());
    const acquisitions = track(world.locks, 'tryAcquire', 5);
    world.faults.resetCalls();
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'done' });
    expect(acquisitions).toMatchObject({ calls: 2, peak: 2 });
    const calls = world.faults.calls;
    // the group's reads and the spacing query start before the row is read, not after it
    expect(calls.indexOf('store.getCurrent')).toBeLessThan(calls.indexOf('journal.get'));
    expect(calls.indexOf('journal.list')).toBeLessThan(calls.indexOf('journal.get'));
  });

  it("reads the run's row by its vault and group (one point read), in the trigger and the worker", async () => {
    const { world, group, request } = createScenario();
    const hints: unknown[] = [];
    const get = world.journal.get.bind(world.journal);
    world.journal.get = (id, where) => {
      hints.push(where);
      return get(id, where);
    };
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'done' });
    expect(hints).toEqual([
      { vault: group.vault, group: group.id },
      { vault: group.vault, group: group.id },
    ]);
  });

  it('confirms the lease only alongside a phase write, and only when it would be stale by the next step', async () => {
    const { world, request } = createScenario();
    await enqueueRotation(world.deps, request());
    world.faults.resetCalls();
    // Validation takes 300 ms: the confirmation taken with the lease is then too old for the promotion.
    world.faults.onCall((hit) => {
      if (hit.op.endsWith('.validate')) world.clock.advance(300);
    });
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'done' });
    const calls = world.faults.calls;
    const renewals = calls.flatMap((op, i) => (op === 'lease.renew' ? [i] : []));
    // A fast run acts on the confirmation it took with the lease; after the slow validation, the
    // `validated` write confirms alongside, and the promotion and propagation act on that.
    expect(renewals).toHaveLength(1);
    expect(calls[renewals[0]! - 1]).toBe('journal.replace');
    expect(calls.indexOf('provider.validate')).toBeLessThan(renewals[0]!);
  });

  it('takes no lease confirmation with `promoted` when propagation is the last step, and one when revocation follows', async () => {
    const renewalsAfterTelling = async (compromised: boolean) => {
      const { world, request } = createScenario();
      await enqueueRotation(
        world.deps,
        request(compromised ? { compromised: true, trigger: { kind: 'http' } } : {}),
      );
      world.faults.resetCalls();
      // The consumers are told 300 ms after the last confirmation: it would be stale by a next step.
      world.faults.onCall((hit) => {
        if (hit.op === 'propagator.propagate') world.clock.advance(300);
      });
      const [run] = await world.drain();
      expect(run).toMatchObject({ status: compromised ? 'revoked' : 'done' });
      const calls = world.faults.calls;
      const told = calls.indexOf('propagator.propagate');
      expect(told).toBeGreaterThan(0);
      return calls.slice(told).filter((op) => op === 'lease.renew').length;
    };
    expect(await renewalsAfterTelling(false)).toBe(0);
    expect(await renewalsAfterTelling(true)).toBe(1);
  });

  it('validates while `issued` is journaled (validation acts on nothing; its call leaves first), and journals `validated` only after', async () => {
    const { world, request } = createScenario();
    await enqueueRotation(world.deps, request());
    const events: string[] = [];
    journalWrites(world, events, { delayMs: 5 });
    world.faults.onCall((hit) => {
      if (hit.op.endsWith('.validate')) events.push('validate');
    });
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'done' });
    expect(events.slice(0, 7)).toEqual([
      'write claimed',
      'claimed journaled',
      'validate',
      'write issued',
      'issued journaled',
      'write validated',
      'validated journaled',
    ]);
  });

  it('writes Key Vault while `validated` is journaled, only once `issued` (with what Key Vault served) is', async () => {
    const { world, group, request } = createScenario();
    await enqueueRotation(world.deps, request());
    const events: string[] = [];
    journalWrites(world, events, { delayMs: 5, only: ['issued', 'validated', 'promoted'] });
    const setSecret = world.store.setSecret.bind(world.store);
    world.store.setSecret = async (...args) => {
      events.push(`write ${args[1]}`);
      return setSecret(...args);
    };
    world.faults.onCall((call) => {
      if (call.op.endsWith('.validate')) events.push('validate');
    });
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'done' });
    const kvWrites = group.secrets.map((secret) => events.indexOf(`write ${secret.name}`));
    expect(kvWrites.every((i) => i >= 0)).toBe(true);
    expect(events.indexOf('validate')).toBeLessThan(events.indexOf('write validated'));
    expect(events.indexOf('issued journaled')).toBeLessThan(events.indexOf('write validated'));
    // Both go out together, Key Vault's writes first (`behindCalls`), before `validated` is in the journal.
    for (const i of kvWrites) {
      expect(i).toBeLessThan(events.indexOf('write validated'));
      expect(i).toBeLessThan(events.indexOf('validated journaled'));
    }
    expect(events.indexOf('validated journaled')).toBeLessThan(events.indexOf('write promoted'));
    expect(run!.phases.map((p) => p.phase)).toEqual(NORMAL_RUN_PHASES);
  });

  it('journals the claim while the group is read, and what Key Vault served with `issued`', async () => {
    const { world, group, request } = createScenario();
    await enqueueRotation(world.deps, request());
    const served = Object.fromEntries(
      group.secrets.map((secret) => [secret.name, world.store.peek(group.vault, secret.name)!.version]),
    );
    const events: string[] = [];
    const getCurrent = world.store.getCurrent.bind(world.store);
    world.store.getCurrent = async (vault, name) => {
      events.push('read');
      await new Promise((resolve) => setTimeout(resolve, 20));
      const current = await getCurrent(vault, name);
      events.push('read done');
      return current;
    };
    const recorded: Record<string, unknown> = {};
    journalWrites(world, events, { seen: (run) => (recorded[run.phase] = run.previousVersions) });
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'done' });
    const firstReadDone = events.indexOf('read done');
    expect(events.indexOf('write claimed')).toBeLessThan(firstReadDone);
    expect(events.indexOf('claimed journaled')).toBeLessThan(firstReadDone);
    expect(recorded.claimed).toEqual({});
    expect(recorded.issued).toEqual(served);
    expect(run!.previousVersions).toEqual(served);
    expect(run!.previousCredentialId).toBe('key1');
    expect(run!.previousKeyHint).toHaveLength(4);
  });

  it('a run the start checks skip takes back the claim it journaled while they read', async () => {
    const { world, group, request } = createScenario();
    await enqueueRotation(world.deps, request());
    // A value set by hand after the trigger: the run's version is no longer current.
    world.store.seed(group.vault, group.secrets[0]!.name, { value: 'set-by-hand', tags: {} });
    const phases: string[] = [];
    journalWrites(world, [], { seen: (run) => phases.push(run.phase) });
    const [run] = await world.drain();
    expect(phases).toEqual(['claimed', 'queued']);
    expect(run).toMatchObject({
      status: 'skipped',
      phase: 'queued',
      error: { code: 'StaleTrigger', phase: 'queued' },
    });
    expect(run!.phases.map((p) => p.phase)).toEqual(['queued']);
  });

  it('tells consumers while `promoted` is journaled, with the versions it journals, and ends only after both', async () => {
    const { world, request } = createScenario();
    await enqueueRotation(world.deps, request());
    const events: string[] = [];
    journalWrites(world, events, { delayMs: 5, only: ['promoted', 'done'] });
    const inner = world.propagator;
    let told: Record<string, string> = {};
    const propagator: Propagator = {
      propagate: async (run, group) => {
        events.push(`propagate (${run.phase})`);
        told = { ...run.newVersions };
        return inner.propagate(run, group);
      },
    };
    const [message] = world.queue.takeVisible();
    const run = await executeRun({ ...world.deps, propagator }, message!);
    expect(run).toMatchObject({ status: 'done', phase: 'done' });
    expect(events).toEqual([
      'propagate (promoted)',
      'write promoted',
      'promoted journaled',
      'write done',
      'done journaled',
    ]);
    expect(told).toEqual(run.newVersions);
    expect(Object.keys(told)).not.toHaveLength(0);
  });

  it('announces the run to the propagator when it starts and withdraws it when it ends', async () => {
    const { world, request } = createScenario();
    const events: string[] = [];
    const inner = world.propagator;
    const propagator: Propagator = {
      propagate: (...args) => {
        events.push('propagate');
        return inner.propagate(...args);
      },
      expect: (group, runId) => {
        events.push(`expect ${group.id} ${runId}`);
        return () => events.push(`withdraw ${runId}`);
      },
    };
    await enqueueRotation(world.deps, request());
    const [message] = world.queue.takeVisible();
    const run = await executeRun({ ...world.deps, propagator }, message!);
    expect(run).toMatchObject({ status: 'done' });
    expect(events).toEqual([`expect ${run.group} ${run.id}`, 'propagate', `withdraw ${run.id}`]);
  });
});

describe('run slots', () => {
  it('a slot acquisition skips the slots this process holds (one storage call, not one per busy slot)', async () => {
    const { world } = createScenario({ settings: { concurrency: 8 } });
    const timing = { leaseSeconds: 15, leaseRenewEveryMs: 5_000 };
    const held = [];
    for (let i = 0; i < 7; i++) held.push((await tryAcquireSlot(world.deps, 8, timing))!);
    const attempts = track(world.locks, 'tryAcquire');
    const last = await tryAcquireSlot(world.deps, 8, timing);
    expect(last).toBeDefined();
    expect(attempts.calls).toBe(1);
    // all eight held here: nothing is probed at all
    expect(await tryAcquireSlot(world.deps, 8, timing)).toBeUndefined();
    expect(attempts.calls).toBe(1);
    // a released slot is probed again
    await held[0]!.stop();
    expect(await tryAcquireSlot(world.deps, 8, timing)).toBeDefined();
    expect(attempts.calls).toBe(2);
    for (const keeper of [...held.slice(1), last!]) await keeper.stop();
  });
});

describe('waiting for a batch', () => {
  it('reads the batch with one journal query per vault and round, not one read per run', async () => {
    const names = ['a', 'b', 'c'];
    const world = new FakeWorld({ groups: names.map((id) => fakeGroup({ id, secrets: [`${id}-key`] })) });
    for (const id of names) world.store.seed('kv-test', `${id}-key`, { value: `${id}-value` });
    const since = world.clock.now();
    const ids: string[] = [];
    for (const id of names) {
      const outcome = await enqueueRotation(world.deps, runRequest(world, { secret: `${id}-key` }));
      if (outcome.kind === 'run') ids.push(outcome.run.id);
    }
    const gets = track(world.journal, 'get');
    const lists = track(world.journal, 'list');
    const waited = await waitForRuns(world.deps, ids, () => ({ kind: 'done' }), {
      timeoutMs: 1_000,
      batch: { vaults: ['kv-test'], since },
    });
    expect(waited.map((w) => w.run?.id)).toEqual(ids);
    expect(lists.calls).toBe(1);
    expect(gets.calls).toBe(0);
  });
});
