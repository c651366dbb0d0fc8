/**
 * A worker that stalls past its lease (a long pause, a partition) must not act once it wakes: another
 * worker has taken the group and finished the run. Found by the crash-resume test (lease broken while the
 * worker stalls after claiming): the stale worker went on to issue — regenerating the very key the new
 * worker had just promoted — because it only checked its lease before journal writes. Each step now
 * confirms the lease first. Over the in-memory fakes, so the interleaving is exact.
 */
import { describe, expect, it } from 'vitest';
import { enqueueRotation } from '../../rotation/engine/enqueue.js';
import { executeRun } from '../../rotation/engine/execute.js';
import { requestRollback } from '../../rotation/engine/rollback.js';
import { createScenario } from '../../rotation/fakes/scenario.js';
import type { RunPhase } from '../../rotation/kinds.js';
import type { Journal, RunRecord } from '../../rotation/ports.js';

/** The journal as worker A sees it: after the write that enters `phase`, A stalls until released. */
function stallingJournal(inner: Journal, phase: RunPhase) {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let stalled: () => void = () => {};
  const reached = new Promise<void>((resolve) => {
    stalled = resolve;
  });
  let fired = false;
  const journal: Journal = {
    get: (id) => inner.get(id),
    create: (run) => inner.create(run),
    list: (filter) => inner.list(filter),
    latestForGroup: (vault, group) => inner.latestForGroup(vault, group),
    async replace(run: RunRecord, etag: string) {
      const result = await inner.replace(run, etag);
      if (!fired && run.phase === phase) {
        fired = true;
        stalled();
        await released;
      }
      return result;
    },
  };
  return { journal, reached, release };
}

describe('a worker that stalled past its lease', () => {
  it.each(['claimed', 'issued', 'validated'] as const)(
    'stalled after %s: wakes, finds the group taken, and acts on nothing',
    async (phase) => {
      const s = createScenario({ autoAdvance: false });
      const request = s.request();
      const outcome = await enqueueRotation(s.world.deps, request);
      if (outcome.kind !== 'run') throw new Error('expected a run');
      const [message] = s.world.queue.takeVisible();
      const stall = stallingJournal(s.world.journal, phase);
      const workerA = executeRun({ ...s.world.deps, journal: stall.journal }, message!).then(
        (run) => ({ run }),
        (error: unknown) => ({ error }),
      );
      await stall.reached;
      // A is frozen: its renewals do not get through while the clock passes its lease; B takes the group.
      s.world.faults.inject({ op: 'lease.renew', times: Number.POSITIVE_INFINITY });
      s.world.clock.advance(s.world.timing.leaseSeconds * 1000 + 1000);
      await new Promise((resolve) => setTimeout(resolve, 0)); // its renewals run (and fail) now
      s.world.faults.clear();
      const finished = await executeRun(s.world.deps, message!);
      expect(finished.status).toBe('done');
      const served = s.group.secrets.map((secret) => s.world.store.peek(s.group.vault, secret.name)!.value);
      const issues = s.provider.calls.filter((c) => c === 'issue').length;
      const writes = s.group.secrets.map((x) => s.world.store.versions(s.group.vault, x.name).length);

      stall.release();
      const a = await workerA;
      expect('error' in a && a.error).toMatchObject({ code: 'LeaseLost' });
      // A issued, wrote and revoked nothing more; what Key Vault serves still works.
      expect(s.provider.calls.filter((c) => c === 'issue').length).toBe(issues);
      expect(s.group.secrets.map((x) => s.world.store.versions(s.group.vault, x.name).length)).toEqual(
        writes,
      );
      for (const value of served) expect(s.provider.service.isLive(value)).toBe(true);
      expect(s.world.journal.peek(finished.id)?.status).toBe('done');
    },
  );
});

describe('a rollback worker that stalled past its lease', () => {
  it('wakes after another worker rotated the group as compromised, and writes the revoked key back nowhere', async () => {
    const s = createScenario({ autoAdvance: false });
    const secret = s.group.secrets[0]!.name;
    const original = s.world.store.peek(s.group.vault, secret)!.value;
    const queued = await enqueueRotation(s.world.deps, s.request());
    if (queued.kind !== 'run') throw new Error('expected a run');
    const [rotation] = s.world.queue.takeVisible();
    expect((await executeRun(s.world.deps, rotation!)).status).toBe('done');

    // A rolls the group back to the key before that rotation, and stalls once it validated that key.
    await requestRollback(s.world.deps, {
      vault: s.group.vault,
      secret,
      trigger: { kind: 'rollback', caller: 'test', reason: 'the new key breaks a job' },
    });
    const [rollback] = s.world.queue.takeVisible();
    const stall = stallingJournal(s.world.journal, 'validated');
    const workerA = executeRun({ ...s.world.deps, journal: stall.journal }, rollback!).then(
      (run) => ({ run }),
      (error: unknown) => ({ error }),
    );
    await stall.reached;
    expect(s.provider.service.isLive(original)).toBe(true); // what A is about to write back

    // A is frozen past its lease; B rotates the group as compromised, which revokes that key.
    s.world.faults.inject({ op: 'lease.renew', times: Number.POSITIVE_INFINITY });
    s.world.clock.advance(s.world.timing.leaseSeconds * 1000 + 1000);
    await new Promise((resolve) => setTimeout(resolve, 0));
    s.world.faults.clear();
    const compromise = await enqueueRotation(
      s.world.deps,
      s.request({ compromised: true, trigger: { kind: 'http', caller: 'test', reason: 'leaked' } }),
    );
    if (compromise.kind !== 'run') throw new Error('expected a run');
    const [urgent] = s.world.queue.takeVisible();
    expect((await executeRun(s.world.deps, urgent!)).status).toBe('revoked');
    expect(s.provider.service.isLive(original)).toBe(false);
    const writes = s.group.secrets.map((x) => s.world.store.versions(s.group.vault, x.name).length);

    stall.release();
    const a = await workerA;
    expect('error' in a && a.error).toMatchObject({ code: 'LeaseLost' });
    // A wrote nothing: Key Vault still serves the compromise run's key, which works.
    expect(s.group.secrets.map((x) => s.world.store.versions(s.group.vault, x.name).length)).toEqual(writes);
    for (const x of s.group.secrets) {
      expect(s.provider.service.isLive(s.world.store.peek(s.group.vault, x.name)!.value)).toBe(true);
    }
  });
});

describe('a Key Vault write retried after a backoff', () => {
  it('is not retried once the group was lost during the backoff', async () => {
    const s = createScenario({
      timing: { promoteBackoff: { initialDelayMs: 1_000, maxDelayMs: 4_000, factor: 2 } },
    });
    const outcome = await enqueueRotation(s.world.deps, s.request());
    if (outcome.kind !== 'run') throw new Error('expected a run');
    const [message] = s.world.queue.takeVisible();
    const key = `${s.group.vault}/${s.group.id}`;
    // The first write fails (a 503); while the worker backs off, an operator breaks the lease and
    // another worker takes the group.
    s.world.faults.inject({ op: 'store.setSecret', times: 1 });
    let broken = false;
    s.world.faults.onCall((call) => {
      if (call.op !== 'store.setSecret' || broken) return;
      broken = true;
      s.world.locks.breakLease(key);
      void s.world.locks.tryAcquire(key, 30);
    });
    await expect(executeRun(s.world.deps, message!)).rejects.toMatchObject({ code: 'LeaseLost' });
    expect(s.world.faults.calls.filter((c) => c === 'store.setSecret')).toHaveLength(2);
  });
});
