/**
 * Key Vault reads through the real SDK (the emulator, Azurite, the composition root; no worker, so queued
 * runs stay queued): the daily sweep reads each due secret once — a secret managed by Microsoft's
 * rotation tags alone included, whose listed tags the catalog is handed — and the catalog keeps tags
 * handed to it from a real listing exactly like tags it read, expiring with its cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotatorApp } from '../../composition/app.js';
import { ConfigSecretCatalog } from '../../composition/catalog.js';
import { followClock } from '../../composition/clock.js';
import { createJsonLogger } from '../../composition/logger.js';
import { createRotatorApp } from '../../composition/root.js';
import { sweepApp } from '../../functions/dailySweep.js';
import { type RunningAzurite, startAzurite } from '../../local/azurite.js';
import { type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import { loadSettings } from '../../rotation/settings.js';
import { armIds, emulatorEnvironment, randomValue, secretClients } from '../support/stack-parts.js';

const VAULT = 'kv-catalog-reads';
const DAY = 86_400_000;
const { accountId } = armIds('rg-catalog');

const msTags = (account: string) => ({
  CredentialId: 'key1',
  ProviderAddress: accountId(account),
  ValidityPeriodDays: '90',
});

let azurite: RunningAzurite;
let emulator: RunningEmulator;
let app: RotatorApp;
let client: SecretClient;
let stateDir = '';

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'catalog-reads-'));
  azurite = await startAzurite();
  emulator = await startEmulator({ vaults: [VAULT], stateDir, resources: [] });
  app = await createRotatorApp({
    settings: loadSettings({
      AzureWebJobsStorage: azurite.connectionString,
      ROTATION_CONFIG: JSON.stringify({
        vaults: [{ name: VAULT }],
        secrets: {
          'configured-key': {
            provider: 'azure-cognitive-services',
            settings: { resourceId: accountId('oai-configured') },
          },
        },
      }),
      LOCAL_STATE_DIR: stateDir,
    }),
    env: emulatorEnvironment(emulator, azurite.connectionString),
    clock: followClock(emulator.clock),
    log: createJsonLogger({ write: () => undefined }),
    timing: 'fast',
  });
  client = secretClients(emulator, VAULT)();
  const now = emulator.clock.now().getTime();
  const seed: [string, number, Record<string, string>][] = [
    ['configured-key', 10, { CredentialId: 'key1' }],
    ['tagged-due-a', 5, msTags('oai-a')],
    ['tagged-due-b', 25, msTags('oai-b')],
    ['tagged-later', 200, msTags('oai-c')],
    ['unmanaged-due', 3, { owner: 'payments' }],
  ];
  for (const [name, days, tags] of seed) {
    await client.setSecret(name, randomValue(), { tags, expiresOn: new Date(now + days * DAY) });
  }
}, 60_000);

afterAll(async () => {
  await emulator?.stop();
  await azurite?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

/** Secret reads (`GET /secrets/<name>`, not the listing) answered since `since`, per secret. */
function readsSince(since: number): Record<string, number> {
  const reads: Record<string, number> = {};
  for (const r of emulator.control.requests({ since, origin: VAULT })) {
    const match = /^\/secrets\/([^/?]+)/.exec(r.path);
    if (r.method !== 'GET' || r.status !== 200 || !match) continue;
    const name = decodeURIComponent(match[1]!).toLowerCase();
    reads[name] = (reads[name] ?? 0) + 1;
  }
  return reads;
}

const mark = () => emulator.control.requests().at(-1)?.seq ?? 0;

describe('Key Vault reads through the real SDK', () => {
  it('the daily sweep reads each due secret once, tag-managed or configured', async () => {
    const since = mark();
    const result = await sweepApp(app);
    expect(result.steps.find((s) => s.name === 'queue-due')?.counts).toMatchObject({ due: 3, queued: 3 });
    expect(readsSince(since)).toEqual({ 'configured-key': 1, 'tagged-due-a': 1, 'tagged-due-b': 1 });
  });

  it('keeps tags from a real listing like tags it read: no read until they expire', async () => {
    let now = 0;
    const catalog = new ConfigSecretCatalog(app.config, app.engine.store, {
      tagCacheMs: 1000,
      nowMs: () => now,
    });
    const since = mark();
    for await (const props of app.engine.store.listSecrets(VAULT)) {
      catalog.primeTags(VAULT, props.name, props.tags);
    }
    expect(await catalog.resolveSecret(VAULT, 'tagged-later')).toMatchObject({
      provider: 'azure-cognitive-services',
      source: 'tags',
      settings: { resourceId: accountId('oai-c') },
    });
    expect(await catalog.resolveSecret(VAULT, 'unmanaged-due')).toBeUndefined();
    expect((await catalog.resolveGroup(VAULT, 'tagged-due-a'))?.secrets.map((s) => s.name)).toEqual([
      'tagged-due-a',
    ]);
    expect(readsSince(since)).toEqual({});

    now += 1001;
    expect(await catalog.resolveSecret(VAULT, 'tagged-later')).toMatchObject({ source: 'tags' });
    expect(readsSince(since)).toEqual({ 'tagged-later': 1 });
  });
});
