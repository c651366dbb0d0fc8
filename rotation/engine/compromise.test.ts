import { describe, expect, it } from 'vitest';
import { createGroqProvider } from '../../providers/groq/index.js';
import { createScenario, FakeWorld, fakeGroup, runRequest } from '../fakes/index.js';
import type { RunRecord } from '../ports.js';
import { disableLeakedVersions } from './compromise.js';
import { enqueueRotation } from './index.js';

function run(
  partial: Partial<RunRecord>,
): Pick<RunRecord, 'id' | 'compromised' | 'previousVersions' | 'newVersions' | 'consumers'> {
  return { id: 'r1', compromised: true, previousVersions: {}, newVersions: {}, consumers: [], ...partial };
}

describe('disableLeakedVersions', () => {
  it('disables the previously current version and older ones holding the same value, nothing else', async () => {
    const world = new FakeWorld();
    const group = fakeGroup({ secrets: ['s'] });
    const older = world.store.seed('kv-test', 's', { value: 'older-value-1234567' });
    const same = world.store.seed('kv-test', 's', { value: 'leaked-value-1234567' });
    const leaked = world.store.seed('kv-test', 's', { value: 'leaked-value-1234567' });
    const fresh = world.store.seed('kv-test', 's', { value: 'new-value-123456789' });
    const outcome = await disableLeakedVersions(
      world.deps,
      group,
      run({
        previousVersions: { s: leaked.version },
        newVersions: { s: fresh.version },
      }),
    );
    expect(outcome.disabled.map((d) => d.version).sort()).toEqual([same.version, leaked.version].sort());
    const enabled = Object.fromEntries(
      world.store.versions('kv-test', 's').map((v) => [v.version, v.enabled]),
    );
    expect(enabled).toEqual({
      [older.version]: true,
      [same.version]: false,
      [leaked.version]: false,
      [fresh.version]: true,
    });
  });

  it('waits while a consumer failed or a secret of the group does not serve the new version', async () => {
    const world = new FakeWorld();
    const group = fakeGroup({ secrets: ['a', 'b'] });
    const a0 = world.store.seed('kv-test', 'a', { value: 'leaked-value-1234567' });
    const a1 = world.store.seed('kv-test', 'a', { value: 'new-value-123456789' });
    const b0 = world.store.seed('kv-test', 'b', { value: 'leaked-value-1234567' });
    const input = run({
      previousVersions: { a: a0.version, b: b0.version },
      newVersions: { a: a1.version, b: 'x' },
    });
    expect((await disableLeakedVersions(world.deps, group, input)).waiting).toContain('secret b');
    const failed = run({
      ...input,
      newVersions: { a: a1.version },
      consumers: [{ name: 'web', status: 'failed', at: '', attempts: 3 }],
    });
    expect((await disableLeakedVersions(world.deps, group, failed)).waiting).toContain('consumers web');
    expect(world.store.versions('kv-test', 'a').every((v) => v.enabled)).toBe(true);
    expect(
      (await disableLeakedVersions(world.deps, group, { ...input, compromised: false })).disabled,
    ).toEqual([]);
  });
});

describe('compromise of a manual provider', () => {
  function groqWorld() {
    const group = fakeGroup({ id: 'groq', provider: 'groq', secrets: ['groq-api-key'], settings: {} });
    const world = new FakeWorld({
      groups: [group],
      providers: { groq: createGroqProvider({ baseUrl: 'http://127.0.0.1:9/v1' }) },
    });
    const current = world.store.seed('kv-test', 'groq-api-key', { value: `gsk_${'q'.repeat(48)}wxyz` });
    return { world, group, current };
  }

  it('ends with urgent tasks naming the leaked key by hint, a critical alert, and Key Vault untouched', async () => {
    const { world, current } = groqWorld();
    await enqueueRotation(
      world.deps,
      runRequest(world, { secret: 'groq-api-key', compromised: true, trigger: { kind: 'http' } }),
    );
    const [done] = await world.drain();
    expect(done?.status).toBe('manual-action-required');
    expect(done?.pendingHuman[0]).toMatch(/^URGENT \(compromised\): Create a new Groq API key/);
    expect(done?.pendingHuman[1]).toContain('revoke Groq API key ending …wxyz');
    expect(done?.pendingHuman[1]).toContain('delete it on the API Keys page of the Groq console');
    expect(world.notifier.ofKind('manual-action-required')[0]?.severity).toBe('critical');
    expect(world.store.versions('kv-test', 'groq-api-key')).toEqual([current]);
    expect(JSON.stringify([done, world.notifier.alerts])).not.toContain(current.value);
  });

  it('escalates a manual run that already waits on a human when a compromise is reported', async () => {
    const { world } = groqWorld();
    await enqueueRotation(world.deps, runRequest(world, { secret: 'groq-api-key' }));
    const [normal] = await world.drain();
    expect(normal).toMatchObject({ status: 'manual-action-required', compromised: false });
    await enqueueRotation(
      world.deps,
      runRequest(world, {
        secret: 'groq-api-key',
        compromised: true,
        trigger: { kind: 'http', caller: 'oncall' },
      }),
    );
    const [escalated] = await world.drain();
    expect(escalated).toMatchObject({ id: normal!.id, status: 'manual-action-required', compromised: true });
    expect(escalated!.trigger.caller).toBe('oncall');
    expect(escalated!.pendingHuman.every((t) => t.startsWith('URGENT'))).toBe(true);
  });

  it('key pairs: both keys are dead after a compromised run (the issued one and the leaked one regenerated)', async () => {
    const { world, provider, request } = createScenario();
    const before = { ...provider.service.keys };
    await enqueueRotation(world.deps, request({ compromised: true, trigger: { kind: 'http' } }));
    await world.drain();
    expect(provider.service.isLive(before.key1)).toBe(false);
    expect(provider.service.isLive(before.key2)).toBe(false);
  });
});
