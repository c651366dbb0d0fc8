import { describe, expect, it } from 'vitest';
import { createScenario } from '../fakes/scenario.js';
import { enqueueRotation } from './enqueue.js';
import { executeRun } from './execute.js';

describe('executeRun: a normal rotation', () => {
  it('issues, validates, promotes to every secret of the group, propagates and records', async () => {
    const { world, group, provider, request } = createScenario({
      userTags: { Owner: 'team-ai', env: 'prod' },
      contentType: 'text/plain',
    });
    const before = world.store.peek(group.vault, 'openai-key')!;
    const outcome = await enqueueRotation(world.deps, request());
    expect(outcome.kind).toBe('run');
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'done', phase: 'done', attempt: 1, credentialId: 'key2' });
    expect(run!.phases.map((p) => p.phase)).toEqual([
      'queued',
      'claimed',
      'issued',
      'validated',
      'promoted',
      'propagated',
      'done',
    ]);
    const a = world.store.peek(group.vault, 'openai-key')!;
    const b = world.store.peek(group.vault, 'openai-key-batch')!;
    expect(a.value).toBe(provider.service.keys.key2);
    expect(b.value).toBe(a.value);
    expect(a.tags).toEqual({
      Owner: 'team-ai',
      env: 'prod',
      RotatedBy: 'key-vault-rotator',
      RotationId: run!.id,
      Provider: 'azure-cognitive-services',
      CredentialId: 'key2',
      ValidityPeriodDays: '90',
    });
    expect(a.contentType).toBe('text/plain');
    expect(a.expiresOn!.getTime()).toBe(world.clock.now().getTime() + 90 * 86_400_000);
    expect(run!.previousVersions).toEqual({
      'openai-key': before.version,
      'openai-key-batch': expect.any(String),
    });
    expect(run!.newVersions).toEqual({ 'openai-key': a.version, 'openai-key-batch': b.version });
    expect(run!.keyHint).toBe(a.value.slice(-4));
    expect(run!.consumers).toEqual([expect.objectContaining({ name: 'web-app', status: 'ok' })]);
    // ordinary key-pair rotation revokes nothing: the previous key keeps working
    expect(provider.service.isLive(before.value)).toBe(true);
    expect(run!.revoked).toEqual([]);
    expect(world.locks.isHeld(`${group.vault}/${group.id}`)).toBe(false);
    expect(world.journal.peek(run!.id)).toEqual(run);
  });
});
