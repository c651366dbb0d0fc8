import { describe, expect, it } from 'vitest';
import { leakSurface, type ManualWorld, manualWorld, VAULT } from '../../test/support/manual-world.js';
import { enqueueRotation } from '../engine/index.js';
import { isRotationError } from '../errors.js';
import { runRequest } from '../fakes/index.js';
import { handleHandSetVersion, PAIR_WINDOW_MS } from './hand-set.js';

/** Plays `az keyvault secret set`: a version without the rotator's tags. */
function setByHand(w: ManualWorld, name: string, value: string) {
  w.values.push(value);
  return w.world.store.seed(VAULT, name, { value, tags: { 'set-by': 'az' } });
}

async function openTask(w: ManualWorld, secret = 'groq-api-key') {
  await enqueueRotation(w.world.deps, runRequest(w.world, { vault: VAULT, secret }));
  const [run] = await w.world.drain();
  return run!;
}

const trigger = (w: ManualWorld, secret: string, version: string) =>
  handleHandSetVersion(w.world.deps, { vault: VAULT, secret, version, eventId: 'evt-1' });

/** The event's trigger, then the worker (drained here), which propagates a promoted hand-over and ends it. */
async function handle(w: ManualWorld, secret: string, version: string) {
  const outcome = await trigger(w, secret, version);
  await w.world.drain();
  return outcome;
}

describe('a value set in Key Vault by hand', () => {
  it('valid: promoted where it stands (tags and expiry, no new version), propagated, task closed', async () => {
    const w = manualWorld();
    const task = await openTask(w);
    const previous = w.world.store.peek(VAULT, 'groq-api-key')!;
    const minted = w.groq.mint();
    const handSet = setByHand(w, 'groq-api-key', minted);
    const outcome = await trigger(w, 'groq-api-key', handSet.version);

    expect(outcome.kind).toBe('promoted');
    // The trigger (Event Grid waits ~30 s) promotes; restarts and the run's end are the worker's.
    expect(w.world.journal.peek(task.id)).toMatchObject({ status: 'running', phase: 'promoted' });
    expect(w.world.propagator.calls).toHaveLength(0);
    expect(w.world.queue.messages).toHaveLength(1);
    await w.world.drain();
    const versions = w.world.store.versions(VAULT, 'groq-api-key');
    expect(versions.map((v) => v.version)).toEqual([previous.version, handSet.version]);
    const promoted = versions.at(-1)!;
    expect(promoted.value).toBe(minted);
    expect(promoted.tags).toMatchObject({
      'set-by': 'az',
      RotatedBy: 'key-vault-rotator',
      RotationId: task.id,
      CredentialId: 'gen-4',
    });
    expect(promoted.expiresOn?.getTime()).toBe(w.world.clock.now().getTime() + 90 * 86_400_000);
    const run = w.world.journal.peek(task.id)!;
    expect(run).toMatchObject({
      status: 'done',
      previousVersions: { 'groq-api-key': previous.version },
      newVersions: { 'groq-api-key': handSet.version },
      task: { closedBy: { via: 'key-vault', version: handSet.version } },
    });
    expect(w.world.propagator.calls).toHaveLength(1);
    expect(leakSurface(w)).not.toContain(minted);
  });

  it('invalid: the last valid value is current again at once, the task stays open, ops are alerted', async () => {
    const w = manualWorld();
    const task = await openTask(w);
    const good = w.world.store.peek(VAULT, 'groq-api-key')!;
    const bad = setByHand(w, 'groq-api-key', w.groq.bogus());
    const outcome = await handle(w, 'groq-api-key', bad.version);

    expect(outcome).toMatchObject({ kind: 'reverted', restoredFrom: good.version, runId: task.id });
    const current = w.world.store.peek(VAULT, 'groq-api-key')!;
    expect(current.value).toBe(w.groqKey);
    expect(current.expiresOn).toEqual(good.expiresOn);
    expect(current.contentType).toBe('text/plain');
    expect(current.tags).toMatchObject({ RotatedBy: 'key-vault-rotator', CredentialId: 'gen-3', team: 'ai' });
    const run = w.world.journal.peek(task.id)!;
    expect(run.status).toBe('manual-action-required');
    expect(run.task?.closedAt).toBeUndefined();
    expect(run.task?.rejections).toEqual([
      { at: expect.any(String), version: bad.version, reason: expect.stringContaining('Invalid API Key') },
    ]);
    const [alert] = w.world.notifier.ofKind('invalid-value-reverted');
    expect(alert).toMatchObject({ severity: 'critical', runId: task.id });
    expect(alert!.text).toContain(bad.version);
    expect(w.world.propagator.calls).toHaveLength(0);
    expect(leakSurface(w)).not.toContain(bad.value);
    expect(leakSurface(w)).not.toContain(w.groqKey);

    // The revert is the rotator's own version: its event is ignored, and a later valid value still closes the task.
    expect(await handle(w, 'groq-api-key', current.version)).toMatchObject({ kind: 'ignored' });
    const minted = w.groq.mint();
    const later = setByHand(w, 'groq-api-key', minted);
    expect((await handle(w, 'groq-api-key', later.version)).kind).toBe('promoted');
    expect(w.world.journal.peek(task.id)).toMatchObject({
      status: 'done',
      previousVersions: { 'groq-api-key': current.version },
    });
  });

  it('after a revert the task still stands: the written-back version’s own near-expiry joins it, no second task', async () => {
    const w = manualWorld({ expiresInDays: 20 });
    const task = await openTask(w);
    const bad = setByHand(w, 'groq-api-key', w.groq.bogus());
    w.world.clock.advance(5_000);
    await handle(w, 'groq-api-key', bad.version);
    const restored = w.world.store.peek(VAULT, 'groq-api-key')!;
    const open = w.world.journal.peek(task.id)!;
    expect(Date.parse(open.finishedAt!)).toBeGreaterThanOrEqual(restored.createdOn!.getTime());
    const alerts = w.world.notifier.ofKind('manual-action-required').length;

    await enqueueRotation(
      w.world.deps,
      runRequest(w.world, { vault: VAULT, secret: 'groq-api-key', triggerVersion: restored.version }),
    );
    const [joined] = await w.world.drain();
    expect(joined).toMatchObject({ status: 'skipped', error: { code: 'RunInProgress' } });
    expect(joined!.error!.message).toContain(task.id);
    expect(joined!.task).toBeUndefined();
    expect(w.world.notifier.ofKind('manual-action-required')).toHaveLength(alerts);
    expect(w.world.journal.peek(task.id)!.status).toBe('manual-action-required');
  });

  it('a compromise reported for another version supersedes the open task with an urgent one', async () => {
    const w = manualWorld({ expiresInDays: 20 });
    const task = await openTask(w);
    const bad = setByHand(w, 'groq-api-key', w.groq.bogus());
    await handle(w, 'groq-api-key', bad.version);
    await enqueueRotation(
      w.world.deps,
      runRequest(w.world, {
        vault: VAULT,
        secret: 'groq-api-key',
        compromised: true,
        trigger: { kind: 'http' },
      }),
    );
    const [urgent] = await w.world.drain();
    expect(urgent).toMatchObject({ status: 'manual-action-required', task: { urgent: true } });
    expect(urgent!.id).not.toBe(task.id);
    expect(w.world.journal.peek(task.id)).toMatchObject({
      status: 'skipped',
      task: { closedBy: { via: 'superseded', runId: urgent!.id } },
    });
  });

  it('provider unreachable: nothing written, thrown as transient so Event Grid delivers it again', async () => {
    const w = manualWorld();
    const handSet = setByHand(w, 'groq-api-key', w.groq.mint());
    w.groq.outage = true;
    const before = w.world.store.snapshot();
    const error = await handle(w, 'groq-api-key', handSet.version).catch((e: unknown) => e);
    expect(isRotationError(error, 'ProviderUnavailable') && error.transient).toBe(true);
    expect(w.world.store.snapshot()).toEqual(before);
    w.groq.outage = false;
    expect((await handle(w, 'groq-api-key', handSet.version)).kind).toBe('promoted');
  });

  it('a group busy with a run: thrown as RunInProgress (redelivered later), nothing written', async () => {
    const w = manualWorld();
    const handSet = setByHand(w, 'groq-api-key', w.groq.bogus());
    const lease = await w.world.locks.tryAcquire('kv-test/groq-api-key', 30);
    const error = await handle(w, 'groq-api-key', handSet.version).catch((e: unknown) => e);
    expect(isRotationError(error, 'RunInProgress')).toBe(true);
    expect(w.world.store.peek(VAULT, 'groq-api-key')!.version).toBe(handSet.version);
    await lease!.release();
  });

  it.each([
    ['valid', 'promoted where it stands'],
    ['invalid', 'reverted'],
  ] as const)(
    '%s value, group lease lost while the provider checked it: not %s, thrown as LeaseLost (redelivered)',
    async (kind, _outcome) => {
      const w = manualWorld();
      await openTask(w);
      const handSet = setByHand(w, 'groq-api-key', kind === 'valid' ? w.groq.mint() : w.groq.bogus());
      const groq = w.world.providers.groq!;
      // The worker pauses after the check; the lease is broken and taken by another worker meanwhile.
      w.world.providers.groq = {
        ...groq,
        async validate(ctx, credential) {
          const result = await groq.validate(ctx, credential);
          w.world.clock.advance(1_000);
          w.world.locks.breakLease('kv-test/groq-api-key');
          await w.world.locks.tryAcquire('kv-test/groq-api-key', 30);
          return result;
        },
      };
      const before = w.world.store.snapshot();
      const error = await trigger(w, 'groq-api-key', handSet.version).catch((e: unknown) => e);
      expect(isRotationError(error, 'LeaseLost') && error.transient).toBe(true);
      expect(w.world.store.snapshot()).toEqual(before);
    },
  );

  it('ignores versions that are no longer current, the rotator’s own, the same value again, and automatic providers', async () => {
    const w = manualWorld();
    const first = setByHand(w, 'groq-api-key', w.groq.bogus());
    const second = setByHand(w, 'groq-api-key', w.groq.bogus());
    expect(await handle(w, 'groq-api-key', first.version)).toMatchObject({
      kind: 'ignored',
      reason: 'no longer the current version',
    });
    expect(await handle(w, 'groq-api-key', second.version)).toMatchObject({ kind: 'reverted' });
    const revert = w.world.store.peek(VAULT, 'groq-api-key')!;
    expect(await handle(w, 'groq-api-key', revert.version)).toMatchObject({
      kind: 'ignored',
      reason: 'written by the rotator',
    });
    const again = setByHand(w, 'groq-api-key', w.groqKey);
    expect(await handle(w, 'groq-api-key', again.version)).toMatchObject({
      kind: 'ignored',
      reason: 'same value as the last valid version',
    });
    const checks = w.groq.checks;
    w.world.store.seed(VAULT, 'jwt-secret-key', { value: 'k'.repeat(64) });
    const jwt = w.world.store.seed(VAULT, 'jwt-secret-key', { value: 'z'.repeat(64) });
    expect(await handle(w, 'jwt-secret-key', jwt.version)).toMatchObject({ kind: 'ignored' });
    expect(w.groq.checks).toBe(checks);
  });

  it('before the rotator wrote any version, restores the newest earlier value the provider accepts', async () => {
    const w = manualWorld();
    setByHand(w, 'groq-api-key', w.groq.bogus());
    const bad = setByHand(w, 'groq-api-key', w.groq.bogus());
    expect(await handle(w, 'groq-api-key', bad.version)).toMatchObject({ kind: 'reverted' });
    expect(w.world.store.peek(VAULT, 'groq-api-key')!.value).toBe(w.groqKey);

    w.groq.live.delete(w.groqKey);
    const worse = setByHand(w, 'groq-api-key', w.groq.bogus());
    expect(await handle(w, 'groq-api-key', worse.version)).toMatchObject({ kind: 'reverted' });
    // The restored version was written by the rotator: it is what passed last, even if revoked since.
    expect(w.world.store.peek(VAULT, 'groq-api-key')!.value).toBe(w.groqKey);
  });

  it('nothing valid to restore: the value stays, a critical alert says so', async () => {
    const w = manualWorld();
    w.groq.live.delete(w.groqKey);
    const bad = setByHand(w, 'groq-api-key', w.groq.bogus());
    expect(await handle(w, 'groq-api-key', bad.version)).toMatchObject({ kind: 'ignored' });
    expect(w.world.store.peek(VAULT, 'groq-api-key')!.version).toBe(bad.version);
    const [alert] = w.world.notifier.ofKind('invalid-value-reverted');
    expect(alert).toMatchObject({ severity: 'critical' });
    expect(alert!.title).toContain('nothing valid to restore');
    expect(leakSurface(w)).not.toContain(bad.value);
  });

  it('a Razorpay pair set part by part: the first part alone is reverted, the second is paired with it and both promoted', async () => {
    const w = manualWorld();
    const task = await openTask(w, 'razorpay-key-id');
    const pair = w.razorpay.mint();
    w.values.push(pair.keySecret);

    const id = setByHand(w, 'razorpay-key-id', pair.keyId);
    const first = await handle(w, 'razorpay-key-id', id.version);
    expect(first.kind).toBe('reverted');
    expect(w.world.store.peek(VAULT, 'razorpay-key-id')!.value).toBe(w.razorpayPair.keyId);
    expect(w.world.notifier.ofKind('invalid-value-reverted')[0]!.text).toContain('within 15 minutes');

    w.world.clock.advance(PAIR_WINDOW_MS / 3);
    const secret = setByHand(w, 'razorpay-key-secret', pair.keySecret);
    const second = await handle(w, 'razorpay-key-secret', secret.version);
    expect(second.kind).toBe('promoted');
    const keyId = w.world.store.peek(VAULT, 'razorpay-key-id')!;
    const keySecret = w.world.store.peek(VAULT, 'razorpay-key-secret')!;
    expect([keyId.value, keySecret.value]).toEqual([pair.keyId, pair.keySecret]);
    expect(keySecret.version).toBe(secret.version);
    expect(keyId.tags).toMatchObject({ RotationId: task.id, CredentialId: 'gen-1' });
    expect(keySecret.tags).toMatchObject({ RotationId: task.id, CredentialId: 'gen-1' });
    expect(w.world.journal.peek(task.id)).toMatchObject({ status: 'done' });
    expect(leakSurface(w)).not.toContain(pair.keySecret);
  });

  it('a partner part older than the pairing window is not used', async () => {
    const w = manualWorld();
    const pair = w.razorpay.mint();
    const id = setByHand(w, 'razorpay-key-id', pair.keyId);
    await handle(w, 'razorpay-key-id', id.version);
    w.world.clock.advance(PAIR_WINDOW_MS + 60_000);
    const secret = setByHand(w, 'razorpay-key-secret', pair.keySecret);
    expect(await handle(w, 'razorpay-key-secret', secret.version)).toMatchObject({ kind: 'reverted' });
    expect(w.world.store.peek(VAULT, 'razorpay-key-secret')!.value).toBe(w.razorpayPair.keySecret);
  });
});
