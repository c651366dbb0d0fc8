import type { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAzurite, startAzurite } from '../local/azurite.js';
import { isRotationError } from '../rotation/errors.js';
import type { RunRequest } from '../rotation/ports.js';
import { createClientFactory } from './clients.js';
import { localEnvironment } from './endpoints.js';
import { decodeRunMessage, encodeRunMessage, RUN_POISON_QUEUE, RUN_QUEUE, StorageRunQueue } from './queue.js';

let azurite: RunningAzurite;
let queueClient: () => Promise<QueueClient>;
let poisonClient: () => Promise<QueueClient>;
let queue: StorageRunQueue;

const request: RunRequest = {
  vault: 'kv1',
  secret: 'openai-key',
  triggerVersion: '0123456789abcdef0123456789abcdef',
  trigger: { kind: 'event', eventId: 'evt-1', eventType: 'Microsoft.KeyVault.SecretNearExpiry' },
  compromised: false,
  requestedAt: '2026-01-10T10:00:00.000Z',
};

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
  queueClient = () => factory.queueClient(RUN_QUEUE);
  poisonClient = () => factory.queueClient(RUN_POISON_QUEUE);
  queue = new StorageRunQueue(queueClient, poisonClient);
});

afterAll(async () => {
  await azurite?.stop();
});

describe('StorageRunQueue', () => {
  it('creates both queues and sends base64 JSON that decodes to the request', async () => {
    await queue.enqueue(request);
    const client = await queueClient();
    const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 5 });
    expect(receivedMessageItems).toHaveLength(1);
    const text = receivedMessageItems[0]!.messageText;
    expect(text).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(Buffer.from(text, 'base64').toString('utf8'))).toEqual(request);
    expect(decodeRunMessage(text)).toEqual(request);
    await client.deleteMessage(receivedMessageItems[0]!.messageId, receivedMessageItems[0]!.popReceipt);
    expect(await (await poisonClient()).exists()).toBe(true);
  });

  it('delays delivery by visibilityDelaySeconds', async () => {
    await queue.enqueue({ ...request, secret: 'delayed' }, { visibilityDelaySeconds: 30 });
    const client = await queueClient();
    const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 5 });
    expect(receivedMessageItems).toHaveLength(0);
    const peeked = await client.getProperties();
    expect(peeked.approximateMessagesCount).toBe(1);
  });

  it('refuses an invalid request before anything is sent', async () => {
    const bad = { ...request, vault: 'kv 1', trigger: { kind: 'telepathy' } } as unknown as RunRequest;
    const error = await queue.enqueue(bad).catch((e: unknown) => e);
    expect(isRotationError(error, 'BadRequest')).toBe(true);
    expect((error as { details: { path: string }[] }).details.map((d) => d.path).sort()).toEqual([
      'trigger.kind',
      'vault',
    ]);
    const delay = await queue
      .enqueue(request, { visibilityDelaySeconds: 8 * 24 * 3600 })
      .catch((e: unknown) => e);
    expect(isRotationError(delay, 'BadRequest')).toBe(true);
    const client = await queueClient();
    expect((await client.peekMessages({ numberOfMessages: 32 })).peekedMessageItems).toHaveLength(0);
  });

  it('decodes what the Functions host hands over: base64, JSON text or an object', () => {
    expect(decodeRunMessage(encodeRunMessage(request))).toEqual(request);
    expect(decodeRunMessage(JSON.stringify(request))).toEqual(request);
    expect(decodeRunMessage(request)).toEqual(request);
    expect(() => decodeRunMessage('bm90IGpzb24=')).toThrow(/not JSON/);
    expect(() => decodeRunMessage({ vault: 'kv1' })).toThrow(/invalid run request/);
  });
});
