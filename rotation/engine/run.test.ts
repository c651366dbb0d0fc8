import { describe, expect, it } from 'vitest';
import { createScenario } from '../fakes/scenario.js';
import { enqueueRotation } from './enqueue.js';

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

describe('executeRun: outcomes', () => {
  it('writes the first credential when the secrets do not exist yet', async () => {
    const { world, group, provider, request } = createScenario({ unseeded: true });
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'done', triggerVersion: 'none', previousVersions: {} });
    for (const secret of group.secrets) {
      expect(world.store.peek(group.vault, secret.name)?.value).toBe(provider.service.keys.key1);
    }
  });

  it('writes each part of a multi-part credential to the secret holding that part', async () => {
    const { world, group, provider, request } = createScenario({
      group: {
        id: 'razor',
        secrets: ['razor-secret', { name: 'razor-key-id', part: 'keyId' }],
        settings: { parts: ['keyId'] },
      },
    });
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run?.status).toBe('done');
    expect(world.store.peek(group.vault, 'razor-secret')?.value).toBe(provider.service.keys.key2);
    expect(world.store.peek(group.vault, 'razor-key-id')?.value).toMatch(/^keyId-key2-/);
  });

  it('writes ProviderAddress when the provider names its resource', async () => {
    const resourceId =
      '/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai';
    const { world, group, request } = createScenario({ group: { settings: { resourceId } } });
    await enqueueRotation(world.deps, request());
    await world.drain();
    expect(world.store.peek(group.vault, 'openai-key')?.tags.ProviderAddress).toBe(resourceId);
  });

  it('retries validation with backoff until the new key works', async () => {
    const { world, provider, request } = createScenario({
      provider: { rejectFirst: 2, unavailableFirst: 1 },
    });
    const started = world.clock.now().getTime();
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run?.status).toBe('done');
    expect(provider.calls.filter((c) => c === 'validate')).toHaveLength(4);
    // 1 s + 2 s + 4 s of backoff on the fake clock
    expect(world.clock.now().getTime() - started).toBe(7_000);
  });

  it('fails at validated when the credential is still rejected at the timeout; nothing promoted', async () => {
    const { world, group, provider, request } = createScenario({
      provider: { rejectFirst: 1_000 },
      settings: { validationTimeoutSeconds: 30 },
    });
    const before = world.store.snapshot();
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run).toMatchObject({
      status: 'failed',
      phase: 'issued',
      error: { code: 'CredentialRejected', phase: 'validated' },
    });
    expect(world.store.snapshot()).toEqual(before);
    expect(provider.calls.filter((c) => c === 'validate').length).toBeGreaterThan(3);
    const [alert] = world.notifier.ofKind('run-failed');
    expect(alert).toMatchObject({ runId: run!.id, channels: group.channels });
    expect(alert!.text).toContain('failed at validated');
    expect(run!.alerts).toEqual([
      expect.objectContaining({ kind: 'run-failed', channel: 'ops', status: 'sent' }),
    ]);
  });

  it('fails at validated with ValidationTimeout when the provider stays unavailable', async () => {
    const { world, request } = createScenario({
      provider: { unavailableFirst: 1_000 },
      settings: { validationTimeoutSeconds: 20 },
    });
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run?.error).toMatchObject({ code: 'ValidationTimeout', phase: 'validated' });
  });

  it('ends manual-action-required with instructions and an alert for manual providers', async () => {
    const { world, group, request } = createScenario({
      group: { provider: 'groq', id: 'groq' },
      provider: { mode: 'manual' },
    });
    const before = world.store.snapshot();
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'manual-action-required', phase: 'claimed' });
    expect(run!.pendingHuman[0]).toContain('fake dashboard');
    expect(world.notifier.ofKind('manual-action-required')).toEqual([
      expect.objectContaining({ runId: run!.id, channels: group.channels }),
    ]);
    expect(world.store.snapshot()).toEqual(before);
  });

  it('records propagated-with-errors and alerts when a consumer fails', async () => {
    const { world, request } = createScenario({ group: { consumers: ['web-app', 'worker'] } });
    world.propagator.failing.add('worker');
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'propagated-with-errors', phase: 'done' });
    expect(run!.consumers.map((c) => c.status)).toEqual(['ok', 'failed']);
    expect(world.notifier.ofKind('propagation-failed')[0]?.text).toContain('worker');
  });

  it('records a failed alert delivery without failing the run', async () => {
    const { world, request } = createScenario();
    world.propagator.failing.add('web-app');
    world.notifier.failingChannels.add('ops');
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run?.status).toBe('propagated-with-errors');
    expect(run?.alerts).toEqual([
      expect.objectContaining({ kind: 'propagation-failed', channel: 'ops', status: 'failed', attempts: 3 }),
    ]);
  });

  it('fails clearly with ProviderNotImplemented when the kind has no adapter', async () => {
    const { world, group, request } = createScenario();
    delete world.providers[group.provider];
    const before = world.store.snapshot();
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run).toMatchObject({
      status: 'failed',
      error: { code: 'ProviderNotImplemented', phase: 'claimed' },
    });
    expect(run!.error!.message).toContain('azure-cognitive-services');
    expect(world.store.snapshot()).toEqual(before);
    expect(world.notifier.ofKind('run-failed')).toHaveLength(1);
  });

  it('fails with ConfigInvalid when the provider settings do not parse', async () => {
    const { world, request } = createScenario({ group: { settings: { resourceId: 42 } } });
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run?.error).toMatchObject({ code: 'ConfigInvalid', phase: 'claimed' });
    expect(run?.error?.message).toContain('settings.resourceId');
  });

  it('refuses validityDays below 31 before issuing', async () => {
    const { world, provider, request } = createScenario({ group: { validityDays: 30 } });
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run?.error).toMatchObject({ code: 'ConfigInvalid', phase: 'claimed' });
    expect(provider.calls).toEqual([]);
  });

  it('fails with TagLimitExceeded before issuing when user tags leave no room', async () => {
    const userTags = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`tag${i}`, 'x']));
    const { world, provider, request } = createScenario({ userTags });
    const before = world.store.snapshot();
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'failed', error: { code: 'TagLimitExceeded', phase: 'issued' } });
    expect(provider.calls).toEqual([]);
    expect(world.store.snapshot()).toEqual(before);
  });

  it('allows exactly 15 tags: 9 of the user and 6 of the rotator', async () => {
    const userTags = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`tag${i}`, 'x']));
    const { world, group, request } = createScenario({ userTags });
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run?.status).toBe('done');
    // the seeded CredentialId is the rotator's own; 9 user tags + 5 written (no ProviderAddress here)
    expect(Object.keys(world.store.peek(group.vault, 'openai-key')!.tags)).toHaveLength(14);
  });
});

describe('executeRun: revocation', () => {
  it('revokes the previous credential of a compromised run and reports revoked', async () => {
    const { world, provider, request } = createScenario();
    const old = provider.service.keys.key1;
    await enqueueRotation(world.deps, request({ compromised: true, trigger: { kind: 'http' } }));
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'revoked', phase: 'done', compromised: true });
    // the key at the provider, then the Key Vault versions that held it (compromise.ts)
    expect(run!.revoked[0]).toBe('key1');
    expect(run!.revoked.slice(1)).toEqual(
      run!.secrets.map((s) => `version:${s}/${run!.previousVersions[s]}`),
    );
    expect(run!.phases.map((p) => p.phase)).toContain('revoked');
    expect(provider.service.isLive(old)).toBe(false);
    expect(world.notifier.ofKind('run-succeeded')).toHaveLength(1);
  });

  it('revokes after every rotation when the provider policy says always', async () => {
    const { world, provider, request } = createScenario({ provider: { revokePolicy: 'always' } });
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run?.status).toBe('revoked');
    expect(provider.calls).toContain('revoke');
  });

  it('asks a human to revoke when the provider cannot', async () => {
    const { world, request } = createScenario({ provider: { revoke: false } });
    await enqueueRotation(world.deps, request({ compromised: true, trigger: { kind: 'http' } }));
    const [run] = await world.drain();
    expect(run?.status).toBe('manual-action-required');
    expect(run?.pendingHuman).toEqual(['revoke key1 at azure-cognitive-services by hand']);
    expect(world.notifier.ofKind('manual-action-required')[0]?.severity).toBe('critical');
  });

  it('fails at revoked (critical alert) when revocation fails; the new key is already live', async () => {
    const { world, group, provider, request } = createScenario();
    world.faults.inject({ op: 'provider.revoke', times: Number.POSITIVE_INFINITY });
    await enqueueRotation(world.deps, request({ compromised: true, trigger: { kind: 'http' } }));
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'failed', phase: 'propagated', error: { phase: 'revoked' } });
    expect(world.store.peek(group.vault, 'openai-key')?.value).toBe(provider.service.keys.key2);
    expect(world.notifier.ofKind('run-failed')[0]?.severity).toBe('critical');
  });
});
