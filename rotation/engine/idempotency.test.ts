import { describe, expect, it } from 'vitest';
import { isRotationError } from '../errors.js';
import { createScenario } from '../fakes/scenario.js';
import type { RunRecord } from '../ports.js';
import { DUPLICATE_WINDOW_MS, enqueueRotation } from './enqueue.js';
import { executeRun } from './execute.js';
import { createRunIdentity } from './identity.js';
import { newRunRecord } from './records.js';

function runOf(outcome: Awaited<ReturnType<typeof enqueueRotation>>): RunRecord {
  if (outcome.kind !== 'run') throw new Error('expected a run');
  return outcome.run;
}

describe('run identity and duplicate triggers', () => {
  it('maps (vault, group, trigger version) to one run id, names case-insensitively', () => {
    const id = createRunIdentity('KV-Test', 'OpenAI-Main', 'ABC123');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(createRunIdentity('kv-test', 'openai-main', 'abc123')).toBe(id);
    expect(createRunIdentity('kv-test', 'openai-main', 'abc124')).not.toBe(id);
    expect(createRunIdentity('kv-test', 'openai', 'abc123')).not.toBe(id);
  });

  it('the same trigger twice maps to one run and rotates once', async () => {
    const { world, group, provider, request } = createScenario();
    const version = world.store.peek(group.vault, 'openai-key')!.version;
    const first = runOf(await enqueueRotation(world.deps, request({ triggerVersion: version })));
    const again = await enqueueRotation(world.deps, request({ triggerVersion: version }));
    expect(runOf(again).id).toBe(first.id);
    // the run is still queued with its own message: the duplicate adds none
    expect(again).toMatchObject({ kind: 'run', created: false, enqueued: false });
    const runs = await world.drain();
    expect(runs.map((r) => r.status)).toEqual(['done']);
    expect(provider.calls.filter((c) => c === 'issue')).toHaveLength(1);
    expect(world.store.versions(group.vault, 'openai-key')).toHaveLength(2);
    // a late duplicate after the run finished reports it, without a new message
    const late = await enqueueRotation(world.deps, request({ triggerVersion: version }));
    expect(late).toMatchObject({ kind: 'run', enqueued: false, run: { id: first.id, status: 'done' } });
  });

  it('a duplicate of a run queued for longer than the window, or over HTTP, queues it again', async () => {
    const { world, group, request } = createScenario();
    const version = world.store.peek(group.vault, 'openai-key')!.version;
    await enqueueRotation(world.deps, request({ triggerVersion: version }));
    const http = { kind: 'http' as const, caller: 'oncall', reason: 'stuck?' };
    expect(
      await enqueueRotation(world.deps, request({ triggerVersion: version, trigger: http })),
    ).toMatchObject({ enqueued: true });
    world.clock.advance(DUPLICATE_WINDOW_MS);
    expect(await enqueueRotation(world.deps, request({ triggerVersion: version }))).toMatchObject({
      enqueued: true,
    });
    expect(world.queue.messages).toHaveLength(3);
  });

  it('20 concurrent triggers and workers rotate exactly once', async () => {
    const { world, group, provider, request } = createScenario();
    const version = world.store.peek(group.vault, 'openai-key')!.version;
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => enqueueRotation(world.deps, request({ triggerVersion: version }))),
    );
    expect(new Set(outcomes.map((o) => runOf(o).id)).size).toBe(1);
    expect(outcomes.filter((o) => o.kind === 'run' && o.created)).toHaveLength(1);
    const messages = world.queue.takeVisible();
    const results = await Promise.allSettled(messages.map((m) => executeRun(world.deps, m)));
    const done = results.filter((r) => r.status === 'fulfilled');
    const busy = results.filter((r) => r.status === 'rejected');
    expect(done.length).toBeGreaterThanOrEqual(1);
    for (const r of busy) {
      expect(isRotationError(r.reason, 'RunInProgress') && r.reason.transient).toBe(true);
    }
    // the queue redelivers the busy ones: they report the finished run
    const redelivered: RunRecord[] = [];
    for (const m of messages) redelivered.push(await executeRun(world.deps, m));
    expect(new Set(redelivered.map((r) => `${r.id}:${r.status}`))).toEqual(
      new Set([`${runOf(outcomes[0]!).id}:done`]),
    );
    expect(provider.calls.filter((c) => c === 'issue')).toHaveLength(1);
    for (const secret of group.secrets)
      expect(world.store.versions(group.vault, secret.name)).toHaveLength(2);
  });

  it('two workers on the same group: only one holds the lease and rotates', async () => {
    const { world, group, provider, request } = createScenario();
    const a = world.store.peek(group.vault, 'openai-key')!.version;
    const b = world.store.peek(group.vault, 'openai-key-batch')!.version;
    await enqueueRotation(world.deps, request({ triggerVersion: a }));
    await enqueueRotation(world.deps, request({ secret: 'openai-key-batch', triggerVersion: b }));
    const [ma, mb] = world.queue.takeVisible();
    const [ra, rb] = await Promise.allSettled([executeRun(world.deps, ma!), executeRun(world.deps, mb!)]);
    expect(ra.status).toBe('fulfilled');
    expect(rb.status).toBe('rejected');
    // the sibling's trigger, retried later, finds its version no longer current
    const later = await executeRun(world.deps, mb!);
    expect(later).toMatchObject({ status: 'skipped', error: { code: 'StaleTrigger' } });
    expect(provider.calls.filter((c) => c === 'issue')).toHaveLength(1);
  });

  it('records skipped (stale) for a trigger whose version is no longer current', async () => {
    const { world, group, provider, request } = createScenario();
    const old = world.store.peek(group.vault, 'openai-key')!.version;
    world.store.seed(group.vault, 'openai-key', {
      value: provider.service.keys.key1,
      tags: { CredentialId: 'key1' },
    });
    const outcome = await enqueueRotation(world.deps, request({ triggerVersion: old }));
    expect(outcome).toMatchObject({
      kind: 'run',
      enqueued: false,
      run: { status: 'skipped', error: { code: 'StaleTrigger' } },
    });
    expect(world.queue.messages).toHaveLength(0);
    expect(provider.calls).toEqual([]);
  });

  it('a worker that finds the trigger stale records skipped and changes nothing', async () => {
    const { world, group, provider, request } = createScenario();
    await enqueueRotation(world.deps, request());
    world.store.seed(group.vault, 'openai-key', {
      value: provider.service.keys.key1,
      tags: { CredentialId: 'key1' },
    });
    const before = world.store.snapshot();
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'skipped', error: { code: 'StaleTrigger', phase: 'queued' } });
    expect(world.store.snapshot()).toEqual(before);
  });

  it('refuses an unmanaged secret with a clear error and records nothing', async () => {
    const { world, request } = createScenario();
    await expect(enqueueRotation(world.deps, request({ secret: 'not-managed' }))).rejects.toMatchObject({
      code: 'UnmanagedSecret',
    });
    expect(world.journal.all()).toEqual([]);
  });

  it('refuses a malformed request', async () => {
    const { world, request } = createScenario();
    await expect(enqueueRotation(world.deps, request({ triggerVersion: '../x' }))).rejects.toMatchObject({
      code: 'BadRequest',
      details: [{ path: 'triggerVersion' }],
    });
  });
});

describe('kill switch', () => {
  it('triggers record skipped (paused) and alert; nothing is queued', async () => {
    const { world, group, request } = createScenario({ settings: { paused: true } });
    const outcome = await enqueueRotation(world.deps, request());
    expect(outcome).toMatchObject({
      kind: 'run',
      enqueued: false,
      run: { status: 'skipped', error: { code: 'RotationPaused' } },
    });
    expect(world.queue.messages).toHaveLength(0);
    expect(world.notifier.ofKind('rotation-paused')).toEqual([
      expect.objectContaining({ channels: group.channels }),
    ]);
    expect(runOf(outcome).alerts).toEqual([
      expect.objectContaining({ kind: 'rotation-paused', status: 'sent' }),
    ]);
  });

  it('a worker honours the switch for runs queued before it was set, and a later trigger rotates', async () => {
    const { world, provider, request } = createScenario();
    await enqueueRotation(world.deps, request());
    world.settings.paused = true;
    const [paused] = await world.drain();
    expect(paused).toMatchObject({ status: 'skipped', error: { code: 'RotationPaused' } });
    expect(provider.calls).toEqual([]);
    world.settings.paused = false;
    world.clock.advance(1_000);
    const again = await enqueueRotation(world.deps, request());
    expect(again).toMatchObject({ kind: 'run', enqueued: true, run: { id: paused!.id } });
    const [done] = await world.drain();
    expect(done).toMatchObject({ id: paused!.id, status: 'done', attempt: 2 });
  });
});

describe('spacing', () => {
  it('skips a normal rotation within minIntervalHours of the previous one, then rotates after it', async () => {
    const { world, group, request } = createScenario({ group: { minIntervalHours: 24 } });
    await enqueueRotation(world.deps, request());
    await world.drain();
    world.clock.advance(2 * 3_600_000);
    await enqueueRotation(world.deps, request({ trigger: { kind: 'http' } }));
    const [spaced] = await world.drain();
    expect(spaced).toMatchObject({ status: 'skipped', error: { code: 'SpacingNotElapsed' } });
    expect(spaced!.error!.message).toContain('minIntervalHours 24');
    expect(world.store.versions(group.vault, 'openai-key')).toHaveLength(2);
    world.clock.advance(23 * 3_600_000);
    await enqueueRotation(world.deps, request({ trigger: { kind: 'sweep' } }));
    const [later] = await world.drain();
    expect(later).toMatchObject({ id: spaced!.id, status: 'done', attempt: 2 });
  });

  it('does not start while the previous run of the group has not reached propagated', async () => {
    const { world, group, provider, request } = createScenario();
    const batchVersion = world.store.peek(group.vault, 'openai-key-batch')!.version;
    // promotion writes openai-key, then Key Vault refuses openai-key-batch: the run stops half-promoted
    world.faults.inject({
      op: 'store.setSecret',
      when: (args) => args[1] === 'openai-key-batch',
      times: Number.POSITIVE_INFINITY,
    });
    await enqueueRotation(world.deps, request());
    const [stuck] = await world.drain();
    expect(stuck).toMatchObject({ status: 'failed', phase: 'validated', error: { phase: 'promoted' } });
    world.faults.clear();
    world.clock.advance(48 * 3_600_000);
    // the sibling's own trigger (its version untouched) must not start a second rotation
    await enqueueRotation(world.deps, request({ secret: 'openai-key-batch', triggerVersion: batchVersion }));
    const [spaced] = await world.drain();
    expect(spaced).toMatchObject({ status: 'skipped', error: { code: 'SpacingNotElapsed' } });
    expect(spaced!.error!.message).toContain(stuck!.id);
    expect(provider.calls.filter((c) => c === 'issue')).toHaveLength(1);
  });

  it('a trigger on a secret written by an unfinished run resumes that run', async () => {
    const { world, group, request } = createScenario();
    world.faults.inject({ op: 'propagator.propagate' });
    await enqueueRotation(world.deps, request());
    const [stuck] = await world.drain();
    expect(stuck).toMatchObject({ status: 'failed', phase: 'promoted' });
    world.clock.advance(2 * 3_600_000);
    await enqueueRotation(world.deps, request({ secret: 'openai-key-batch', trigger: { kind: 'sweep' } }));
    const runs = await world.drain();
    expect(runs).toEqual([expect.objectContaining({ id: stuck!.id, status: 'done', attempt: 2 })]);
    expect(world.store.versions(group.vault, 'openai-key')).toHaveLength(2);
  });

  it('a request naming an unfinished run continues it, whatever id its trigger version names', async () => {
    const { world, group, request } = createScenario();
    const version = world.store.peek(group.vault, 'openai-key')!.version.toLowerCase();
    // A run with an id of its own (a hand-over whose version's run had finished), left queued.
    const id = createRunIdentity(group.vault, group.id, `submission:${version}:2026-01-01T00:00:00.000Z`);
    const own = newRunRecord({
      id,
      group,
      triggerVersion: version,
      request: request(),
      now: world.clock.now(),
    });
    await world.journal.create(own);
    const run = await executeRun(world.deps, request({ triggerVersion: version, runId: id }));
    expect(run).toMatchObject({ id, status: 'done' });
    expect(await world.journal.get(createRunIdentity(group.vault, group.id, version))).toBeUndefined();
    // Once it finished, a request naming it is resolved as any request (here: the version it names).
    const again = await executeRun(world.deps, request({ triggerVersion: version, runId: id }));
    expect(again.id).toBe(createRunIdentity(group.vault, group.id, version));
    expect(again).toMatchObject({ status: 'skipped', error: { code: 'StaleTrigger' } });
  });

  it('a compromised rotation ignores spacing', async () => {
    const { world, request } = createScenario();
    await enqueueRotation(world.deps, request());
    await world.drain();
    world.clock.advance(60_000);
    await enqueueRotation(world.deps, request({ compromised: true, trigger: { kind: 'http' } }));
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'revoked', compromised: true });
  });
});

describe('failed runs', () => {
  async function failedRun() {
    const scenario = createScenario();
    scenario.world.faults.inject({ op: 'provider.issue' });
    await enqueueRotation(scenario.world.deps, scenario.request());
    const [run] = await scenario.world.drain();
    expect(run).toMatchObject({ status: 'failed', phase: 'claimed', error: { phase: 'issued' } });
    return { ...scenario, failed: run! };
  }

  it('a new non-HTTP trigger waits RETRY_FAILED_AFTER_MINUTES, then retries from the failed phase', async () => {
    const { world, request, failed, provider } = await failedRun();
    world.clock.advance(10 * 60_000);
    const early = await enqueueRotation(world.deps, request());
    // queued with a delay until the cool-down ends
    expect(early).toMatchObject({ kind: 'run', enqueued: true, delaySeconds: 50 * 60 });
    expect(await world.drain()).toEqual([]);
    world.clock.advance(50 * 60_000);
    const [retried] = await world.drain();
    expect(retried).toMatchObject({ id: failed.id, status: 'done', attempt: 2 });
    expect(retried!.phases.map((p) => p.phase)).toEqual([
      'queued',
      'claimed',
      'issued',
      'validated',
      'promoted',
      'propagated',
      'done',
    ]);
    expect(provider.calls.filter((c) => c === 'issue')).toHaveLength(2);
  });

  it('a worker does not retry early even when a message arrives (duplicate of the failed trigger)', async () => {
    const { world, failed, request } = await failedRun();
    const requestedAt = new Date(Date.parse(failed.finishedAt!) - 1_000).toISOString();
    const duplicate = { ...request({ triggerVersion: failed.triggerVersion }), requestedAt };
    world.clock.advance(2 * 3_600_000);
    expect(await executeRun(world.deps, duplicate)).toMatchObject({ status: 'failed', attempt: 1 });
  });

  it('an HTTP trigger retries at once', async () => {
    const { world, failed, request } = await failedRun();
    const outcome = await enqueueRotation(world.deps, request({ trigger: { kind: 'http' } }));
    expect(outcome).toMatchObject({ kind: 'run', enqueued: true });
    expect(outcome.kind === 'run' && outcome.delaySeconds).toBeFalsy();
    const [retried] = await world.drain();
    expect(retried).toMatchObject({ id: failed.id, status: 'done', attempt: 2 });
  });
});

describe('compromise reported after a normal run finished', () => {
  it('rotates again, revoking the key the normal run left current', async () => {
    const { world, group, provider, request } = createScenario();
    const version = world.store.peek(group.vault, 'openai-key')!.version;
    await enqueueRotation(world.deps, request({ triggerVersion: version }));
    await world.drain();
    const leaked = provider.service.keys.key2;
    // a compromise trigger that still names the old version (e.g. from a stale report)
    await enqueueRotation(
      world.deps,
      request({ triggerVersion: version, compromised: true, trigger: { kind: 'http' } }),
    );
    const runs = await world.drain();
    expect(runs).toEqual([expect.objectContaining({ status: 'revoked', compromised: true })]);
    expect(provider.service.isLive(leaked)).toBe(false);
  });
});

describe('compromise reported while a normal run is in flight', () => {
  it('is queued anyway; after the normal run the worker rotates again and revokes', async () => {
    const { world, provider, request } = createScenario();
    await enqueueRotation(world.deps, request());
    const [normalMessage] = world.queue.takeVisible();
    // the normal run is mid-validation when the compromise report arrives
    let reported: Promise<unknown> | undefined;
    const validate = provider.validate;
    provider.validate = async (ctx, credential) => {
      reported ??= enqueueRotation(world.deps, request({ compromised: true, trigger: { kind: 'http' } }));
      expect(await reported).toMatchObject({ kind: 'run', enqueued: true, run: { status: 'running' } });
      return validate(ctx, credential);
    };
    const normal = await executeRun(world.deps, normalMessage!);
    expect(normal).toMatchObject({ status: 'done', compromised: false });
    const leaked = provider.service.keys.key2;
    const runs = await world.drain();
    expect(runs).toEqual([expect.objectContaining({ status: 'revoked', compromised: true })]);
    expect(provider.service.isLive(leaked)).toBe(false);
  });
});
