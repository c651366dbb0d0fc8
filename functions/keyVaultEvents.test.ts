/**
 * `keyVaultEvents` over the in-memory fakes: which events queue runs, which alert `secret-expired`, and
 * which are thrown for Event Grid to redeliver. (The HTTP path is covered in test/integration.)
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RotatorApp } from '../composition/app.js';
import { loadConfig } from '../rotation/config/index.js';
import { isRotationError } from '../rotation/errors.js';
import { createScenario, MemoryLogger } from '../rotation/fakes/index.js';
import { loadSettings } from '../rotation/settings.js';
import { handleKeyVaultEvent, type VersionSetByHandHandler } from './keyVaultEvents.js';

function setup() {
  const scenario = createScenario();
  const { group, world } = scenario;
  const app: RotatorApp = {
    settings: loadSettings({}),
    config: loadConfig({ vaults: [{ name: group.vault }], channels: {} }),
    engine: world.deps,
    log: world.log,
    mode: 'local',
  };
  const secret = group.secrets[0]!.name;
  const current = world.store.peek(group.vault, secret)!;
  const event = (type: string, overrides: { name?: string; version?: string; vault?: string } = {}) => ({
    id: randomUUID(),
    topic: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${overrides.vault ?? group.vault}`,
    subject: overrides.name ?? secret,
    eventType: `Microsoft.KeyVault.${type}`,
    eventTime: world.clock.now().toISOString(),
    data: {
      Id: `https://${overrides.vault ?? group.vault}.vault.azure.net/secrets/${overrides.name ?? secret}/${overrides.version ?? current.version}`,
      VaultName: overrides.vault ?? group.vault,
      ObjectType: 'Secret',
      ObjectName: overrides.name ?? secret,
      Version: overrides.version ?? current.version,
      NBF: null,
      EXP: null,
    },
  });
  const handled = {
    onVersionSetByHand: (async () => undefined) as VersionSetByHandHandler,
    alerted: new Set<string>(),
  };
  return { ...scenario, app, secret, current, event, log: new MemoryLogger(), handled };
}

describe('keyVaultEvents handler', () => {
  it('queues a run for SecretNearExpiry of a managed secret, with the event version as trigger version', async () => {
    const { app, event, log, world, current, handled } = setup();
    const outcome = await handleKeyVaultEvent(app, event('SecretNearExpiry'), log, handled);
    expect(outcome).toMatchObject({ kind: 'queued', status: 'queued', alerted: false });
    expect(world.queue.sent).toEqual([
      expect.objectContaining({
        triggerVersion: current.version.toLowerCase(),
        trigger: expect.objectContaining({ kind: 'event', eventType: 'Microsoft.KeyVault.SecretNearExpiry' }),
      }),
    ]);
    expect(world.notifier.alerts).toEqual([]);
  });

  it('SecretExpired of the version still served queues a run and alerts secret-expired once', async () => {
    const { app, event, log, world, handled, group } = setup();
    const expired = event('SecretExpired');
    const first = await handleKeyVaultEvent(app, expired, log, handled);
    expect(first).toMatchObject({ kind: 'queued', alerted: true });
    const again = await handleKeyVaultEvent(app, { ...expired, id: randomUUID() }, log, handled);
    expect(again).toMatchObject({ kind: 'existing', alerted: false });
    expect(world.notifier.ofKind('secret-expired')).toEqual([
      expect.objectContaining({ severity: 'critical', vault: group.vault, channels: group.channels }),
    ]);
  });

  it('SecretExpired of a version already replaced does not alert', async () => {
    const { app, event, log, world, handled, group, secret } = setup();
    const old = world.store.peek(group.vault, secret)!.version;
    world.store.seed(group.vault, secret, { value: 'n'.repeat(32), tags: { CredentialId: 'key2' } });
    const outcome = await handleKeyVaultEvent(app, event('SecretExpired', { version: old }), log, handled);
    expect(outcome).toMatchObject({ kind: 'queued', status: 'skipped', alerted: false });
    expect(world.notifier.alerts).toEqual([]);
  });

  it('acknowledges foreign vaults and unmanaged secrets without reading anything; alerts an unmanaged expiry', async () => {
    const { app, event, log, world, handled } = setup();
    world.faults.resetCalls();
    expect(
      await handleKeyVaultEvent(app, event('SecretNearExpiry', { vault: 'kv-other' }), log, handled),
    ).toEqual({
      kind: 'ignored',
      reason: 'foreign-vault',
    });
    expect(world.faults.calls).toEqual([]);
    expect(
      await handleKeyVaultEvent(app, event('SecretNearExpiry', { name: 'someone-elses' }), log, handled),
    ).toMatchObject({ kind: 'ignored', reason: 'unmanaged' });
    expect(
      await handleKeyVaultEvent(app, event('SecretExpired', { name: 'someone-elses' }), log, handled),
    ).toMatchObject({ kind: 'ignored', reason: 'unmanaged' });
    expect(world.notifier.ofKind('secret-expired')).toHaveLength(1);
    expect(world.queue.sent).toEqual([]);
  });

  it('routes a version set by hand to the extension point and ignores the rotator’s own', async () => {
    const { app, event, log, world, group, secret } = setup();
    const seen: string[] = [];
    const state = {
      onVersionSetByHand: (async (_app, e) => {
        seen.push(e.version);
      }) as VersionSetByHandHandler,
      alerted: new Set<string>(),
    };
    const byHand = world.store.seed(group.vault, secret, { value: 'h'.repeat(32) });
    const own = world.store.seed(group.vault, secret, {
      value: 'r'.repeat(32),
      tags: { RotatedBy: 'key-vault-rotator', RotationId: 'x' },
    });
    expect(
      await handleKeyVaultEvent(app, event('SecretNewVersionCreated', { version: own.version }), log, state),
    ).toEqual({ kind: 'ignored', reason: 'own-version' });
    expect(
      await handleKeyVaultEvent(
        app,
        event('SecretNewVersionCreated', { version: byHand.version }),
        log,
        state,
      ),
    ).toEqual({ kind: 'ignored', reason: 'version-set-by-hand' });
    expect(seen).toEqual([byHand.version]);
  });

  it('knows a version this instance promoted without reading it back; reads one written elsewhere', async () => {
    const { app, event, log, world, group, secret, handled } = setup();
    const rotatorTags = (runId: string) => ({ RotatedBy: 'key-vault-rotator', RotationId: runId });
    const written = await world.store.setSecret(group.vault, secret, {
      value: 'r'.repeat(32),
      tags: rotatorTags('run-1'),
    });
    const elsewhere = world.store.seed(group.vault, secret, {
      value: 's'.repeat(32),
      tags: rotatorTags('run-2'),
    });
    // Each event in turn: what the handler answers, and which store calls it made.
    const outcomes = [];
    for (const version of [written.version, elsewhere.version]) {
      world.faults.resetCalls();
      const outcome = await handleKeyVaultEvent(
        app,
        event('SecretNewVersionCreated', { version }),
        log,
        handled,
      );
      outcomes.push([outcome, world.faults.calls.filter((op) => op.startsWith('store.'))]);
    }
    expect(outcomes).toEqual([
      [{ kind: 'ignored', reason: 'own-version' }, []],
      [{ kind: 'ignored', reason: 'own-version' }, ['store.getVersion']],
    ]);
  });

  it('throws a transient error (Event Grid redelivers) when the journal cannot be reached', async () => {
    const { app, event, log, world, handled } = setup();
    world.faults.inject({ op: 'journal.get', times: 5, error: () => new Error('socket hang up') });
    const error = await handleKeyVaultEvent(app, event('SecretNearExpiry'), log, handled).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRotationError(error)).toBe(true);
    expect(error).toMatchObject({ transient: true });
    expect(world.queue.sent).toEqual([]);
  });
});
