import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, describe, expect, it } from 'vitest';
import { startAzurite } from './azurite.js';

const dir = mkdtempSync(path.join(tmpdir(), 'azurite-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('startAzurite', () => {
  it('serves blobs (with leases), queues and tables on loopback, in memory', async () => {
    const azurite = await startAzurite();
    try {
      for (const endpoint of [azurite.blobEndpoint, azurite.queueEndpoint, azurite.tableEndpoint]) {
        expect(new URL(endpoint).hostname).toBe('127.0.0.1');
      }
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
        'locks',
      );
      await container.createIfNotExists();
      const blob = container.getBlockBlobClient('kv/group');
      await blob.upload('', 0);
      const lease = await blob.getBlobLeaseClient().acquireLease(15);
      expect(lease.leaseId).toBeTruthy();
      const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(
        'runs-q',
      );
      await queue.createIfNotExists();
      await queue.sendMessage('hello');
      expect((await queue.receiveMessages()).receivedMessageItems[0]?.messageText).toBe('hello');
      const table = TableClient.fromConnectionString(azurite.connectionString, 'runs', {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await table.createEntity({ partitionKey: 'p', rowKey: 'r', n: 1 });
      expect((await table.getEntity<{ n: number }>('p', 'r')).n).toBe(1);
    } finally {
      await azurite.stop();
    }
  });

  it('keeps data across restarts when given a folder', async () => {
    const first = await startAzurite({ location: dir });
    const name = 'persisted-q';
    await QueueServiceClient.fromConnectionString(first.connectionString)
      .getQueueClient(name)
      .createIfNotExists();
    await QueueServiceClient.fromConnectionString(first.connectionString)
      .getQueueClient(name)
      .sendMessage('kept');
    await first.stop();
    const second = await startAzurite({ location: dir });
    try {
      const queue = QueueServiceClient.fromConnectionString(second.connectionString).getQueueClient(name);
      expect((await queue.receiveMessages()).receivedMessageItems[0]?.messageText).toBe('kept');
    } finally {
      await second.stop();
    }
  });
});
