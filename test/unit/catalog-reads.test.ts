/**
 * Key Vault reads per queued run when the catalog is the real one (`ConfigSecretCatalog`: rotation.json
 * plus Microsoft's rotation tags) over the in-memory fakes. A trigger that already listed the vault (the
 * daily sweep, `rotate --all`) hands the listed tags to the catalog, so a secret managed by its tags alone
 * costs one read — the one that names its run — like a configured secret. The run still follows the tags
 * of the version that names it, not the older listing.
 */
import { describe, expect, it } from 'vitest';
import { ConfigSecretCatalog } from '../../composition/catalog.js';
import { enqueueRotation, resolveTarget, startBatch } from '../../rotation/engine/index.js';
import { isRotationError } from '../../rotation/errors.js';
import type { FakeSecretStore } from '../../rotation/fakes/index.js';
import type { SecretVersion } from '../../rotation/ports.js';
import { runSweep } from '../../rotation/sweep/index.js';
import { createFakeApp } from '../support/fake-app.js';

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

function setup(secrets: { name: string; days: number; tags: Record<string, string> }[]) {
  const { app, world } = createFakeApp({
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
  return { app, world, engine, catalog, reads };
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
