import type { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAzurite, startAzurite } from '../local/azurite.js';
import { isRotationError } from '../rotation/errors.js';
import { createClientFactory } from './clients.js';
import { localEnvironment } from './endpoints.js';
import { BlobLockManager, groupLockKey, LOCK_CONTAINER, lockBlobName } from './lock.js';

let azurite: RunningAzurite;
let container: () => Promise<ContainerClient>;
let workerA: BlobLockManager;
let workerB: BlobLockManager;

beforeAll(async () => {
  azurite = await startAzurite();
  const env = localEnvironment({
    caCert: 'unused',
    vaultUrls: {},
    armEndpoint: 'https://127.0.0.1:9',
    storageConnectionString: azurite.connectionString,
  });
  // Two factories: two workers that share nothing but the storage account.
  const a = createClientFactory(env, { timing: 'fast' });
  const b = createClientFactory(env, { timing: 'fast' });
  container = () => a.blobContainer(LOCK_CONTAINER);
  workerA = new BlobLockManager(container);
  workerB = new BlobLockManager(() => b.blobContainer(LOCK_CONTAINER));
});

afterAll(async () => {
  await azurite?.stop();
});

describe('BlobLockManager', () => {
  it('creates the container and lock blob, and lets only one worker hold the lease', async () => {
    const key = groupLockKey('KV1', 'OpenAI');
    expect(key).toBe('kv1/openai');
    const lease = await workerA.tryAcquire(key, 15);
    expect(lease?.key).toBe(key);
    const blob = (await container()).getBlobClient('kv1/openai');
    expect((await blob.getProperties()).leaseState).toBe('leased');
    expect(await workerB.tryAcquire(key, 15)).toBeUndefined();
    expect(await workerA.tryAcquire(key, 15)).toBeUndefined();
    await lease!.renew();
    await lease!.release();
    expect((await blob.getProperties()).leaseState).toBe('available');
    const next = await workerB.tryAcquire(key, 15);
    expect(next).toBeDefined();
    await next!.release();
  });

  it('hands the lease to the next worker when the holder crashed (lease broken / expired)', async () => {
    const key = 'kv1/crashed';
    const crashed = await workerA.tryAcquire(key, 15);
    expect(crashed).toBeDefined();
    // Simulate the holder dying: the lease ends without a release.
    await (await container()).getBlobClient(key).getBlobLeaseClient().breakLease(0);
    const taken = await workerB.tryAcquire(key, 60);
    expect(taken).toBeDefined();
    const lost = await crashed!.renew().catch((e: unknown) => e);
    expect(isRotationError(lost, 'LeaseLost')).toBe(true);
    // Releasing a lost lease is a no-op and must not free the new holder's lease.
    await crashed!.release();
    expect(await workerA.tryAcquire(key, 15)).toBeUndefined();
    await taken!.release();
  });

  it('reports LeaseLost when renewing after release, and release is idempotent', async () => {
    const lease = await workerA.tryAcquire('kv1/idempotent', 15);
    await lease!.release();
    await lease!.release();
    const error = await lease!.renew().catch((e: unknown) => e);
    expect(isRotationError(error, 'LeaseLost')).toBe(true);
  });

  it('rejects durations outside 15-60 seconds (no infinite leases)', async () => {
    for (const seconds of [-1, 0, 14, 61, 15.5]) {
      const error = await workerA.tryAcquire('kv1/duration', seconds).catch((e: unknown) => e);
      expect(isRotationError(error, 'BadRequest')).toBe(true);
    }
  });

  it('keeps odd group names inside their own blob path', () => {
    expect(lockBlobName('kv1/a?b#c')).toBe('kv1/a%3Fb%23c');
    expect(lockBlobName('kv1/..')).toBe('kv1/%2E%2E');
    expect(lockBlobName('kv1/a\\b')).toBe('kv1/a%5Cb');
    expect(() => lockBlobName('kv1//x')).toThrow(/invalid lock key/);
    expect(() => lockBlobName('')).toThrow(/invalid lock key/);
  });
});
