import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAzurite, startAzurite } from '../local/azurite.js';
import type { SweepHeartbeat } from '../rotation/ports.js';
import { createClientFactory } from './clients.js';
import { localEnvironment } from './endpoints.js';
import { HEARTBEAT_TABLE, heartbeatRowKey, TableHeartbeatStore } from './heartbeat.js';

let azurite: RunningAzurite;
let store: TableHeartbeatStore;

function beat(finishedAt: string, overrides: Partial<SweepHeartbeat> = {}): SweepHeartbeat {
  return {
    id: `${finishedAt}-abc`,
    startedAt: finishedAt,
    finishedAt,
    trigger: 'timer',
    outcome: 'ok',
    vaults: 1,
    secrets: 3,
    steps: [{ name: 'scan', status: 'ok', counts: { vaults: 1 }, problems: 0 }],
    problems: [],
    ...overrides,
  };
}

beforeAll(async () => {
  azurite = await startAzurite();
  const factory = createClientFactory(
    localEnvironment({
      caCert: 'unused',
      vaultUrls: {},
      armEndpoint: 'https://127.0.0.1:9',
      storageConnectionString: azurite.connectionString,
    }),
    { timing: 'fast' },
  );
  store = new TableHeartbeatStore(() => factory.tableClient(HEARTBEAT_TABLE));
});

afterAll(async () => {
  await azurite?.stop();
});

describe('TableHeartbeatStore (Azurite)', () => {
  it('has no heartbeat before the first sweep', async () => {
    await expect(store.latest()).resolves.toBeUndefined();
  });

  it('returns the newest sweep, whatever the write order', async () => {
    await store.record(beat('2026-03-02T02:00:00.000Z'));
    await store.record(beat('2026-03-03T02:00:00.000Z', { outcome: 'partial' }));
    await store.record(beat('2026-03-01T02:00:00.000Z'));
    const latest = await store.latest();
    expect(latest).toEqual(beat('2026-03-03T02:00:00.000Z', { outcome: 'partial' }));
  });

  it('keeps a row under the table property limit by dropping problems', async () => {
    const problems = Array.from({ length: 400 }, (_, i) => ({
      step: 'queue-due',
      target: `kv/s-${i}`,
      code: 'AzureUnavailable',
      message: 'x'.repeat(200),
    }));
    await store.record(beat('2026-03-04T02:00:00.000Z', { problems }));
    const latest = await store.latest();
    expect(latest?.finishedAt).toBe('2026-03-04T02:00:00.000Z');
    expect(latest!.problems.length).toBeGreaterThan(0);
    expect(latest!.problems.length).toBeLessThan(400);
  });

  it('orders row keys newest first', () => {
    expect(
      heartbeatRowKey(beat('2026-03-02T00:00:00Z')) < heartbeatRowKey(beat('2026-03-01T00:00:00Z')),
    ).toBe(true);
  });
});
