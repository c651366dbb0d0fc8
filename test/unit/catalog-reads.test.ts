/**
 * Key Vault reads per queued run when the catalog is the real one (`ConfigSecretCatalog`: rotation.json
 * plus Microsoft's rotation tags) over the in-memory fakes. A trigger that already listed the vault (the
 * daily sweep, `rotate --all`) hands the listed tags to the catalog, so a secret managed by its tags alone
 * costs one read — the one that names its run — like a configured secret. The run still follows the tags
 * of the version that names it, not the older listing. A Key Vault event and `POST /api/secrets/{name}/
 * rotate` read the current version once, fresh, first: it tells the catalog the tags and decides whether
 * the event's version (or `ifCurrentVersion`) is still current.
 */
import { randomUUID } from 'node:crypto';
import azureFunctions from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { ConfigSecretCatalog } from '../../composition/catalog.js';
import { handleKeyVaultEvent } from '../../functions/keyVaultEvents.js';
import { createRotateSecretHandler } from '../../functions/rotateSecret.js';
import { enqueueRotation, resolveTarget, startBatch } from '../../rotation/engine/index.js';
import { isRotationError } from '../../rotation/errors.js';
import type { FakeSecretStore } from '../../rotation/fakes/index.js';
import type { SecretVersion } from '../../rotation/ports.js';
import { runSweep } from '../../rotation/sweep/index.js';
import { createFakeApp } from '../support/fake-app.js';
import { call } from '../support/http-api.js';

const VAULT = 'kv-test';
const DAY = 86_400_000;
const ACCOUNTS = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts';

function msTags(account: string, validityDays = 90): Record<string, string> {
  return {
    CredentialId: 'key1',
    ProviderAddress: `${ACCOUNTS}/${account}`,
    ValidityPeriodDays: `${validityDays}`,
  };
}

/** Counts `getCurrent` calls per secret name (lowercased). */
function countReads(store: FakeSecretStore): Map<string, number> {
  const reads = new Map<string, number>();
  const getCurrent = store.getCurrent.bind(store);
  store.getCurrent = (vault: string, name: string): Promise<SecretVersion | undefined> => {
    reads.set(name.toLowerCase(), (reads.get(name.toLowerCase()) ?? 0) + 1);
    return getCurrent(vault, name);
  };
  return reads;
}

function setup(
  secrets: { name: string; days: number; tags: Record<string, string> }[],
  env: Record<string, string> = {},
) {
  const { app, world } = createFakeApp({
    env,
    config: {
      vaults: [{ name: VAULT }],
      secrets: {
        'configured-key': {
          provider: 'azure-cognitive-services',
          settings: { resourceId: `${ACCOUNTS}/oai-configured` },
        },
      },
    },
  });
  const now = world.clock.now().getTime();
  for (const s of secrets) {
    world.store.seed(VAULT, s.name, {
      value: `value-${s.name}-${'x'.repeat(16)}`,
      tags: s.tags,
      expiresOn: new Date(now + s.days * DAY),
      createdOn: new Date(now - 60 * DAY),
    });
  }
  const catalog = new ConfigSecretCatalog(app.config, world.store);
  const reads = countReads(world.store);
  const engine = { ...world.deps, catalog };
  return { app: { ...app, engine }, world, engine, catalog, reads };
}

describe('Key Vault reads per queued run with the tag-aware catalog', () => {
  it('the sweep reads each due secret exactly once, tag-managed or configured, and nothing else', async () => {
    const { app, world, engine, reads } = setup([
      { name: 'configured-key', days: 10, tags: { CredentialId: 'key1' } },
      { name: 'Tagged-Due-A', days: 5, tags: msTags('oai-a') },
      { name: 'tagged-due-b', days: 20, tags: msTags('oai-b') },
      { name: 'tagged-due-c', days: -2, tags: msTags('oai-c') },
      { name: 'tagged-later', days: 200, tags: msTags('oai-d') },
      { name: 'unmanaged-due', days: 3, tags: { owner: 'payments' } },
    ]);
    const result = await runSweep({ engine, config: app.config, concurrency: 4 });
    expect(result.steps.find((s) => s.name === 'queue-due')?.counts).toMatchObject({
      due: 4,
      queued: 4,
      failed: 0,
    });
    expect(Object.fromEntries(reads)).toEqual({
      'configured-key': 1,
      'tagged-due-a': 1,
      'tagged-due-b': 1,
      'tagged-due-c': 1,
    });
    // Each run is named by the version current when it was queued.
    expect(world.queue.sent).toHaveLength(4);
    const queued = Object.fromEntries(
      world.queue.sent.map((r) => [r.secret.toLowerCase(), r.triggerVersion]),
    );
    const names = ['configured-key', 'tagged-due-a', 'tagged-due-b', 'tagged-due-c'];
    expect(queued).toEqual(
      Object.fromEntries(names.map((n) => [n, world.store.peek(VAULT, n)!.version.toLowerCase()])),
    );
  });

  it('rotate --all reads one current version per group, not every listed secret', async () => {
    const { app, engine, reads } = setup([
      { name: 'configured-key', days: 200, tags: { CredentialId: 'key1' } },
      { name: 'tagged-a', days: 200, tags: msTags('oai-a') },
      { name: 'tagged-b', days: 200, tags: msTags('oai-b') },
      { name: 'plain-1', days: 200, tags: {} },
      { name: 'plain-2', days: 200, tags: { owner: 'payments' } },
    ]);
    const started = await startBatch(engine, {
      selection: { all: true },
      vaults: [VAULT],
      configured: app.config.secrets,
      compromised: false,
      trigger: { kind: 'http', caller: 'ops' },
    });
    expect(started.map((g) => [g.group.id, g.outcome?.created])).toEqual([
      ['configured-key', true],
      ['tagged-a', true],
      ['tagged-b', true],
    ]);
    expect(Object.fromEntries(reads)).toEqual({ 'configured-key': 1, 'tagged-a': 1, 'tagged-b': 1 });
  });

  it('a run follows the tags of the version that names it, not the listing handed to the catalog', async () => {
    const { world, engine, catalog, reads } = setup([
      { name: 'tagged-a', days: 5, tags: msTags('oai-a', 60) },
      { name: 'tagged-b', days: 5, tags: { owner: 'payments' } },
    ]);
    // What a listing saw a moment ago: tagged-a with 90 days, tagged-b still tag-managed.
    catalog.primeTags(VAULT, 'tagged-a', msTags('oai-a', 90));
    catalog.primeTags(VAULT, 'tagged-b', msTags('oai-b'));
    const request = {
      vault: VAULT,
      trigger: { kind: 'sweep' as const },
      requestedAt: world.clock.now().toISOString(),
    };
    const target = await resolveTarget(engine, { ...request, secret: 'tagged-a' });
    expect(target.secret.validityDays).toBe(60);
    expect(target.group.validityDays).toBe(60);
    const unmanaged = await enqueueRotation(engine, { ...request, secret: 'tagged-b' }).catch(
      (e: unknown) => e,
    );
    expect(isRotationError(unmanaged) && unmanaged.code).toBe('UnmanagedSecret');
    expect(world.queue.sent).toEqual([]);
    expect(Object.fromEntries(reads)).toEqual({ 'tagged-a': 1, 'tagged-b': 1 });
  });
});

/** An Event Grid `Microsoft.KeyVault.<type>` event for `name`, naming `version`. */
function keyVaultEvent(type: string, name: string, version: string, at: Date) {
  return {
    id: randomUUID(),
    topic: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${VAULT}`,
    subject: name,
    eventType: `Microsoft.KeyVault.${type}`,
    eventTime: at.toISOString(),
    data: {
      Id: `https://${VAULT}.vault.azure.net/secrets/${name}/${version}`,
      VaultName: VAULT,
      ObjectType: 'Secret',
      ObjectName: name,
      Version: version,
      NBF: null,
      EXP: null,
    },
  };
}

function eventSetup() {
  const fixture = setup([
    { name: 'configured-key', days: 20, tags: { CredentialId: 'key1' } },
    { name: 'Tagged-Key', days: 20, tags: msTags('oai-a', 60) },
  ]);
  const { app, world } = fixture;
  const deliver = (type: string, name: string, version = world.store.peek(VAULT, name)!.version) =>
    handleKeyVaultEvent(app, keyVaultEvent(type, name, version, world.clock.now()), world.log);
  return { ...fixture, deliver };
}

describe('Key Vault reads per Key Vault event (keyVaultEvents)', () => {
  it('an event for a secret managed by its tags alone reads its current version once', async () => {
    const { world, catalog, reads, deliver } = eventSetup();
    // Tags a listing saw earlier: the event's own fresh read decides, not these.
    catalog.primeTags(VAULT, 'Tagged-Key', msTags('oai-a', 90));
    const outcome = await deliver('SecretNearExpiry', 'Tagged-Key');
    expect(outcome).toMatchObject({ kind: 'queued', status: 'queued' });
    expect(Object.fromEntries(reads)).toEqual({ 'tagged-key': 1 });
    expect(world.queue.sent).toEqual([
      expect.objectContaining({
        triggerVersion: world.store.peek(VAULT, 'tagged-key')!.version.toLowerCase(),
      }),
    ]);
    expect((await catalog.resolveSecret(VAULT, 'tagged-key'))?.validityDays).toBe(60);
    expect(Object.fromEntries(reads)).toEqual({ 'tagged-key': 1 });
  });

  it('an event for a configured secret reads once; a duplicate of it reads nothing', async () => {
    const { world, reads, deliver } = eventSetup();
    const version = world.store.peek(VAULT, 'configured-key')!.version;
    expect(await deliver('SecretNearExpiry', 'configured-key', version)).toMatchObject({ kind: 'queued' });
    expect(await deliver('SecretNearExpiry', 'configured-key', version)).toMatchObject({ kind: 'existing' });
    expect(Object.fromEntries(reads)).toEqual({ 'configured-key': 1 });
    expect(world.queue.sent).toHaveLength(1);
  });

  it('a stale event reads once and records the run skipped without queuing it, tag-managed or configured', async () => {
    const { world, reads, deliver } = eventSetup();
    const stale = {
      tagged: world.store.peek(VAULT, 'tagged-key')!.version,
      configured: world.store.peek(VAULT, 'configured-key')!.version,
    };
    const now = world.clock.now().getTime();
    world.store.seed(VAULT, 'Tagged-Key', {
      value: `newer-${'y'.repeat(16)}`,
      tags: msTags('oai-a', 60),
      expiresOn: new Date(now + 60 * DAY),
    });
    world.store.seed(VAULT, 'configured-key', {
      value: `newer-${'z'.repeat(16)}`,
      tags: { CredentialId: 'key2' },
      expiresOn: new Date(now + 60 * DAY),
    });
    const tagged = await deliver('SecretExpired', 'Tagged-Key', stale.tagged);
    const configured = await deliver('SecretNearExpiry', 'configured-key', stale.configured);
    for (const outcome of [tagged, configured]) {
      expect(outcome).toMatchObject({ kind: 'queued', status: 'skipped', alerted: false });
    }
    const runs = await Promise.all(
      [tagged, configured].map((o) => (o.kind === 'queued' ? world.journal.get(o.runId) : undefined)),
    );
    expect(runs.map((r) => r?.run.error?.code)).toEqual(['StaleTrigger', 'StaleTrigger']);
    expect(world.queue.sent).toEqual([]);
    expect(Object.fromEntries(reads)).toEqual({ 'tagged-key': 1, 'configured-key': 1 });
  });

  it('an event for a secret whose current version lost its rotation tags reads once and is not managed', async () => {
    const { world, catalog, reads, deliver } = eventSetup();
    const version = world.store.peek(VAULT, 'tagged-key')!.version;
    catalog.primeTags(VAULT, 'tagged-key', msTags('oai-a', 60));
    world.store.seed(VAULT, 'tagged-key', { value: `plain-${'p'.repeat(16)}`, tags: { owner: 'payments' } });
    expect(await deliver('SecretNearExpiry', 'tagged-key', version)).toMatchObject({
      kind: 'ignored',
      reason: 'unmanaged',
    });
    expect(world.queue.sent).toEqual([]);
    expect(Object.fromEntries(reads)).toEqual({ 'tagged-key': 1 });
  });
});

describe('Key Vault reads per POST /api/secrets/{name}/rotate', () => {
  // Used to be 2 reads for a configured secret (the 409 check's target, then the engine's own) and 3 for
  // one managed by tags alone (plus the catalog's read of its tags).
  const context = new azureFunctions.InvocationContext({ functionName: 'test', logHandler: () => {} });

  function rotate(name: string, body: Record<string, unknown>) {
    const fixture = setup(
      [
        { name: 'configured-key', days: 200, tags: { CredentialId: 'key1' } },
        { name: 'tagged-key', days: 200, tags: msTags('oai-a') },
      ],
      { HTTP_WAIT_SECONDS: '0' },
    );
    const handler = createRotateSecretHandler(async () => fixture.app);
    const current = fixture.world.store.peek(VAULT, name)!.version;
    const answer = call(
      handler,
      context,
      `/api/secrets/${name}/rotate`,
      { reason: 'incident', ...body },
      {
        params: { name },
      },
    );
    return { ...fixture, current, answer };
  }

  for (const name of ['configured-key', 'tagged-key']) {
    it(`reads ${name}'s current version once and queues the run it names`, async () => {
      const { world, reads, current, answer } = rotate(name, {});
      expect((await answer).status).toBe(202);
      expect(world.queue.sent).toEqual([expect.objectContaining({ triggerVersion: current.toLowerCase() })]);
      expect(Object.fromEntries(reads)).toEqual({ [name]: 1 });
    });
  }

  it('ifCurrentVersion is decided by the same single read: queued when current, 412 when not', async () => {
    const ok = rotate('tagged-key', {});
    await ok.answer;
    const matching = rotate('tagged-key', { ifCurrentVersion: ok.current });
    expect((await matching.answer).status).toBe(202);
    expect(matching.world.queue.sent).toHaveLength(1);
    expect(Object.fromEntries(matching.reads)).toEqual({ 'tagged-key': 1 });

    const mismatch = rotate('configured-key', { ifCurrentVersion: 'a'.repeat(32) });
    expect((await mismatch.answer).status).toBe(412);
    expect(mismatch.world.queue.sent).toEqual([]);
    expect(Object.fromEntries(mismatch.reads)).toEqual({ 'configured-key': 1 });
  });
});
