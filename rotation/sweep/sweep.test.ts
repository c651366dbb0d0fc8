import { describe, expect, it } from 'vitest';
import { createFakeApp } from '../../test/support/fake-app.js';
import { RotationError } from '../errors.js';
import { createFakeProvider, type FakeProvider } from '../fakes/index.js';
import type { RunRecord } from '../ports.js';
import { MemoryHeartbeatStore } from './heartbeat.js';
import { runSweep } from './run.js';
import type { SweepOptions, VersionRetirer } from './types.js';

const DAY = 86_400_000;
const ACCOUNTS = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts';

function setup(secrets: Record<string, number | null>, extra: { digest?: boolean } = {}) {
  const provider: FakeProvider = createFakeProvider({ kind: 'azure-cognitive-services' });
  const { app, world } = createFakeApp({
    config: {
      vaults: [{ name: 'kv-test' }],
      channels: extra.digest
        ? {
            ops: {
              type: 'webhook',
              url: 'http://localhost:9/hook',
              signingKey: 'test-signing-key',
              digest: true,
            },
          }
        : {},
      secrets: Object.fromEntries(
        Object.keys(secrets).map((name) => [
          name,
          { provider: 'azure-cognitive-services', settings: { resourceId: `${ACCOUNTS}/${name}` } },
        ]),
      ),
    },
    providers: { 'azure-cognitive-services': provider },
  });
  const now = world.clock.now().getTime();
  for (const [name, days] of Object.entries(secrets)) {
    world.store.seed('kv-test', name, {
      value: provider.service.keys.key1,
      tags: { CredentialId: 'key1' },
      ...(days === null ? {} : { expiresOn: new Date(now + days * DAY) }),
      createdOn: new Date(now - 60 * DAY),
    });
  }
  const heartbeat = new MemoryHeartbeatStore();
  const options: SweepOptions = { engine: app.engine, config: app.config, heartbeat, concurrency: 4 };
  return { app, world, provider, heartbeat, options };
}

describe('runSweep', () => {
  it('catches a secret whose SecretNearExpiry event was dropped, and rotates it once', async () => {
    const { world, options, heartbeat } = setup({ 'openai-key': 12, 'speech-key': 80 });
    const first = await runSweep(options);
    expect(first.steps.find((s) => s.name === 'queue-due')?.counts).toMatchObject({ due: 1, queued: 1 });
    const runs = await world.drain();
    expect(runs.map((r) => [r.secrets[0], r.status, r.trigger.kind])).toEqual([
      ['openai-key', 'done', 'sweep'],
    ]);
    expect(runs[0]?.trigger.reason).toBe('sweep: due, expires in 12 days');
    const rotated = world.store.peek('kv-test', 'openai-key')!;
    expect(rotated.expiresOn!.getTime()).toBeGreaterThan(world.clock.now().getTime() + 80 * DAY);

    world.clock.advance(DAY);
    const second = await runSweep(options);
    expect(second.steps.find((s) => s.name === 'queue-due')?.counts).toMatchObject({ due: 0, queued: 0 });
    expect(await world.drain()).toEqual([]);
    expect(heartbeat.beats).toHaveLength(2);
    expect(heartbeat.beats[0]).toMatchObject({ outcome: 'ok', vaults: 1, secrets: 2, trigger: 'timer' });
  });

  it('touches Key Vault only through listing pages when nothing is due (10,000 secrets)', async () => {
    const secrets: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) secrets[`secret-${i}`] = 45 + (i % 40);
    const { world, options } = setup(secrets);
    world.faults.resetCalls();
    const result = await runSweep(options);
    expect(result.heartbeat).toMatchObject({ outcome: 'ok', secrets: 10_000 });
    const storeCalls = world.faults.calls.filter((c) => c.startsWith('store.'));
    expect(storeCalls).toEqual(['store.listSecrets']);
    expect(world.faults.calls.filter((c) => c.startsWith('journal.'))).toEqual(['journal.list']);
  });

  it('hands the catalog the listed tags of a due secret managed by tags alone, before queuing its run', async () => {
    const { app, world, options } = setup({ 'configured-due': 9 });
    const tags = {
      CredentialId: 'key2',
      ProviderAddress: `${ACCOUNTS}/oai-tagged`,
      ValidityPeriodDays: '60',
    };
    const now = world.clock.now().getTime();
    for (const [name, days] of [
      ['Tagged-Due', 4],
      ['tagged-later', 120],
    ] as const) {
      world.store.seed('kv-test', name, {
        value: 'v'.repeat(32),
        tags,
        expiresOn: new Date(now + days * DAY),
      });
    }
    // The fake catalog knows only the groups it is given: give it the one the tags infer.
    world.catalog.update(app.config.resolveSecret('kv-test', 'Tagged-Due', tags)!.group);
    world.faults.resetCalls();
    const result = await runSweep(options);
    expect(result.steps.find((s) => s.name === 'queue-due')?.counts).toMatchObject({ due: 2, queued: 2 });
    // First the listing's tags (the sweep), then the tags of the version read to name the run (the engine).
    expect(world.catalog.primed).toEqual([
      { vault: 'kv-test', name: 'Tagged-Due', tags },
      { vault: 'kv-test', name: 'Tagged-Due', tags },
    ]);
    expect(world.faults.calls.filter((c) => c === 'store.getCurrent')).toHaveLength(2);
  });

  it('one failure never stops the sweep: other groups are still queued, the problem is recorded', async () => {
    const { world, options } = setup({ 'key-a': 5, 'key-b': 6, 'key-c': 7 });
    world.faults.inject({
      op: 'store.getCurrent',
      when: (args) => args[1] === 'key-b',
      times: Number.POSITIVE_INFINITY,
      error: () => new RotationError('PermissionDenied', 'get is not allowed on key-b'),
    });
    const result = await runSweep(options);
    const step = result.steps.find((s) => s.name === 'queue-due')!;
    expect(step.counts).toMatchObject({ due: 3, queued: 2, failed: 1 });
    expect(step.status).toBe('partial');
    expect(step.problems).toEqual([
      { target: 'kv-test/key-b', code: 'PermissionDenied', message: 'get is not allowed on key-b' },
    ]);
    expect(result.heartbeat.outcome).toBe('partial');
    expect(result.heartbeat.problems[0]).toMatchObject({ step: 'queue-due', target: 'kv-test/key-b' });
  });

  it('a step that throws is recorded and the next steps still run', async () => {
    const { options } = setup({ 'key-a': 50 });
    const boom = { name: 'boom', run: async () => Promise.reject(new Error('kaput')) };
    const after = { name: 'after', run: async () => ({ counts: { ran: 1 }, problems: [] }) };
    const result = await runSweep({ ...options, steps: [boom, after] });
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ['scan', 'ok'],
      ['boom', 'failed'],
      ['after', 'ok'],
      ['digest', 'skipped'],
    ]);
  });

  it('resumes a run abandoned while running (by its id), and leaves fresh ones alone', async () => {
    const { app, world, options } = setup({ 'key-a': 50, 'key-b': 50 });
    const groupOf = (secret: string) => app.config.findSecret('kv-test', secret)!.group;
    const base = (id: string, secret: string, updated: number): RunRecord => ({
      id,
      vault: 'kv-test',
      group: groupOf(secret),
      provider: 'azure-cognitive-services',
      secrets: [secret],
      triggerVersion: world.store.peek('kv-test', secret)!.version.toLowerCase(),
      attempt: 1,
      status: 'running',
      phase: 'claimed',
      phases: [{ phase: 'queued', at: new Date(updated).toISOString() }],
      trigger: { kind: 'http', reason: 'test' },
      compromised: false,
      previousVersions: {},
      newVersions: {},
      consumers: [],
      revoked: [],
      pendingHuman: [],
      alerts: [],
      createdAt: new Date(updated).toISOString(),
      updatedAt: new Date(updated).toISOString(),
    });
    const now = world.clock.now().getTime();
    const { createRunIdentity } = await import('../engine/index.js');
    // An id of its own (a hand-over's run when its version's run had finished): resumed by that id.
    const staleId = createRunIdentity(
      'kv-test',
      groupOf('key-a'),
      `submission:${world.store.peek('kv-test', 'key-a')!.version}:2026-01-01T00:00:00.000Z`,
    );
    const freshId = createRunIdentity(
      'kv-test',
      groupOf('key-b'),
      world.store.peek('kv-test', 'key-b')!.version,
    );
    await world.journal.create(base(staleId, 'key-a', now - 2 * 3_600_000));
    await world.journal.create(base(freshId, 'key-b', now - 60_000));
    const result = await runSweep(options);
    expect(result.steps.find((s) => s.name === 'resume')?.counts).toMatchObject({ stale: 1, retried: 0 });
    const runs = await world.drain();
    expect(runs.map((r) => [r.id, r.status])).toEqual([[staleId, 'done']]);
  });

  it('retires versions past the grace period only for groups rotated about graceDays ago', async () => {
    const { app, world, options } = setup({ 'key-a': 50, 'key-b': 83 });
    // key-b was rotated 8 days ago (grace 7): its previous version may now be retired.
    world.store.seed('kv-test', 'key-b', {
      value: 'x'.repeat(40),
      expiresOn: new Date(world.clock.now().getTime() + 82 * DAY),
      createdOn: new Date(world.clock.now().getTime() - 8 * DAY),
    });
    const calls: string[] = [];
    const retirer: VersionRetirer = async (_store, group, _now, grace) => {
      calls.push(`${group.secrets.map((s) => s.name).join(',')}:${grace}`);
      return [{ secret: 'key-b', version: 'v-old' }];
    };
    const result = await runSweep({ ...options, retirers: { 'azure-cognitive-services': retirer } });
    expect(calls).toEqual([`key-b:${app.config.defaults.graceDays}`]);
    expect(result.steps.find((s) => s.name === 'retire-versions')?.counts).toMatchObject({
      groups: 1,
      disabled: 1,
    });
  });

  it('sends the digest (states, failures, what falls due) to digest channels only', async () => {
    const { world, options } = setup({ 'key-a': 10, 'key-b': 100, 'key-c': -2 }, { digest: true });
    const result = await runSweep(options);
    const digests = world.notifier.ofKind('digest');
    expect(digests).toHaveLength(1);
    const digest = digests[0]!;
    expect(digest.channels).toEqual(['ops']);
    expect(digest.severity).toBe('critical');
    expect(digest.title).toMatch(/^Rotation digest \d{4}-\d{2}-\d{2}: 1 expired, 1 due within 30 days$/);
    expect(digest.text).toContain('Expired (1):\n- kv-test/key-c');
    expect(digest.text).toContain('Falling due in the next 30 days (1):\n- kv-test/key-a expires');
    expect(digest.text).toContain('Sweep: queued 2 run(s) for due secrets.');
    expect(result.steps.at(-1)).toMatchObject({
      name: 'digest',
      status: 'ok',
      counts: { sent: 1, failed: 0 },
    });
  });

  it('records a failed sweep when the journal cannot be read, and still alerts and beats', async () => {
    const { world, options, heartbeat } = setup({ 'key-a': 10 }, { digest: true });
    world.faults.inject({ op: 'journal.list', times: Number.POSITIVE_INFINITY });
    const result = await runSweep(options);
    expect(result.heartbeat.outcome).toBe('failed');
    expect(result.steps.map((s) => s.name)).toEqual(['scan', 'digest']);
    expect(world.notifier.ofKind('digest')[0]?.title).toContain('could not read the inventory');
    expect(heartbeat.beats[0]?.problems[0]).toMatchObject({ step: 'scan', code: 'AzureUnavailable' });
  });
});
