import { describe, expect, it } from 'vitest';
import { createScenario } from '../fakes/scenario.js';
import { enqueueRotation } from './enqueue.js';
import { executeRun } from './execute.js';
import { planRotation } from './plan.js';

function everything(world: ReturnType<typeof createScenario>['world']) {
  return {
    store: world.store.snapshot(),
    journal: world.journal.all(),
    queue: structuredClone(world.queue.messages),
    alerts: structuredClone(world.notifier.alerts),
    locks: [...world.locks.acquired],
    propagations: structuredClone(world.propagator.calls),
  };
}

describe('dry run', () => {
  it('returns the plan and changes nothing anywhere', async () => {
    const resourceId = '/subscriptions/0/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a';
    const { world, group, provider, request } = createScenario({
      userTags: { Owner: 'ai' },
      contentType: 'text/plain',
      group: { settings: { resourceId }, consumers: ['web-app', 'worker'] },
    });
    const before = everything(world);
    const outcome = await enqueueRotation(world.deps, request({ dryRun: true, compromised: true }));
    expect(everything(world)).toEqual(before);
    expect(provider.calls).toEqual([]);
    if (outcome.kind !== 'plan') throw new Error('expected a plan');
    const { plan } = outcome;
    expect(plan).toMatchObject({
      vault: group.vault,
      group: group.id,
      provider: 'azure-cognitive-services',
      mode: 'automatic',
      compromised: true,
      wouldRotate: true,
      blockers: [],
      propagate: ['web-app', 'worker'],
      revoke: { will: true, credentialId: 'key1', how: 'provider' },
    });
    expect(plan.secrets.map((s) => s.name)).toEqual(['openai-key', 'openai-key-batch']);
    expect(plan.secrets[0]).toMatchObject({
      currentCredentialId: 'key1',
      contentType: 'text/plain',
      tags: { Owner: 'ai', RotatedBy: 'key-vault-rotator', RotationId: plan.runId, ValidityPeriodDays: '90' },
    });
    expect(plan.issue).toContain('without touching key1');
    expect(JSON.stringify(plan)).not.toContain(provider.service.keys.key1);
  });

  it('lists what would stop the rotation', async () => {
    const userTags = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`t${i}`, 'x']));
    const { world, group, request } = createScenario({
      userTags,
      settings: { paused: true },
      group: { validityDays: 20 },
    });
    delete world.providers[group.provider];
    const plan = await planRotation(world.deps, request({ dryRun: true }));
    expect(plan.wouldRotate).toBe(false);
    expect(plan.mode).toBe('not-implemented');
    expect(plan.blockers.map((b) => b.code).sort()).toEqual([
      'ConfigInvalid',
      'ProviderNotImplemented',
      'RotationPaused',
      'TagLimitExceeded',
      'TagLimitExceeded',
    ]);
  });

  it('reports spacing, a stale trigger and an existing run', async () => {
    const { world, group, request } = createScenario();
    const old = world.store.peek(group.vault, 'openai-key')!.version;
    const oldBatch = world.store.peek(group.vault, 'openai-key-batch')!.version;
    await enqueueRotation(world.deps, request());
    const [done] = await world.drain();
    const stale = await planRotation(
      world.deps,
      request({ triggerVersion: oldBatch, secret: 'openai-key-batch' }),
    );
    expect(stale.blockers.map((b) => b.code)).toContain('StaleTrigger');
    const again = await planRotation(world.deps, request({ triggerVersion: old }));
    expect(again.existingRun).toMatchObject({ id: done!.id, status: 'done' });
    expect(again.blockers.map((b) => b.code)).toContain('RunExists');
    const next = await planRotation(world.deps, request());
    expect(next.blockers).toEqual([expect.objectContaining({ code: 'SpacingNotElapsed' })]);
  });

  it('executeRun refuses a dry-run request', async () => {
    const { world, request } = createScenario();
    await expect(executeRun(world.deps, request({ dryRun: true }))).rejects.toMatchObject({
      code: 'BadRequest',
    });
  });
});
