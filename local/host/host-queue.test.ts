import dc from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionDefinition } from '../../functions/definition.js';
import { type RunningAzurite, startAzurite } from '../azurite.js';
import { parseHostJson } from './config.js';
import { encodeQueueMessage, type PoisonMessage, type RunningLocalHost, startLocalHost } from './index.js';
import { HOST_USER_AGENT } from './queue-listener.js';
import { randomKey, recordingLogger, waitFor, waitForAsync } from './test-support.js';

interface Seen {
  body: unknown;
  dequeueCount: unknown;
  context: InvocationContext;
}

const logger = recordingLogger();
const functionKey = randomKey();
const seen: Seen[] = [];
const poisoned: PoisonMessage[] = [];
let running = 0;
let maxRunning = 0;

const definitions: FunctionDefinition[] = [
  {
    name: 'rotationWorker',
    trigger: { type: 'storageQueue', queueName: 'rotation-runs', connection: 'AzureWebJobsStorage' },
    handler: async (message: unknown, context: InvocationContext) => {
      seen.push({ body: message, dequeueCount: context.triggerMetadata?.dequeueCount, context });
      const body = message as { kind?: string; i?: number };
      if (body.kind === 'fail') throw new Error('worker failed');
      if (body.kind === 'slow') {
        running++;
        maxRunning = Math.max(maxRunning, running);
        // every third message is long: the rest of its batch ends first, so a new batch joins it
        await new Promise((resolve) => setTimeout(resolve, (body.i ?? 0) % 3 === 0 ? 600 : 100));
        running--;
      }
    },
  },
];

let azurite: RunningAzurite;
let host: RunningLocalHost;
let queue: QueueClient;
let poisonQueue: QueueClient;

beforeAll(async () => {
  azurite = await startAzurite();
  queue = new QueueClient(azurite.connectionString, 'rotation-runs');
  poisonQueue = new QueueClient(azurite.connectionString, 'rotation-runs-poison');
  host = await startLocalHost({
    definitions,
    port: 0,
    functionKey,
    storageConnectionString: azurite.connectionString,
    settings: {},
    logger,
    hostConfig: parseHostJson({
      extensions: { queues: { maxDequeueCount: 5, batchSize: 3, newBatchThreshold: 1 } },
    }),
    timing: { queuePollMinMs: 20, queuePollMaxMs: 100, visibilityTimeoutSeconds: 1, drainTimeoutMs: 2000 },
    onPoison: (message) => {
      poisoned.push(message);
    },
  });
});

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

const bodiesOf = (kind: string) => seen.filter((s) => (s.body as { kind?: string }).kind === kind);

describe('queue trigger', () => {
  it('decodes base64 JSON, exposes dequeueCount and deletes the message on success', async () => {
    await queue.sendMessage(encodeQueueMessage({ kind: 'ok', runId: 'r1' }));
    await waitFor(() => bodiesOf('ok').length === 1, 'the message to be handled');
    const [ok] = bodiesOf('ok');
    expect(ok?.body).toEqual({ kind: 'ok', runId: 'r1' });
    expect(ok?.dequeueCount).toBe(1);
    expect(ok?.context.functionName).toBe('rotationWorker');
    await waitForAsync(
      async () => (await queue.getProperties()).approximateMessagesCount === 0,
      'the delete',
    );
  });

  it("names its own storage traffic (HOST_USER_AGENT), so the benchmark tells it from the app's", async () => {
    const agents: string[] = [];
    const record = (message: unknown) => {
      const { request } = message as { request: ClientRequest };
      agents.push(`${request.method} ${String(request.getHeader('user-agent'))}`);
    };
    dc.subscribe('http.client.request.start', record);
    try {
      await queue.sendMessage(encodeQueueMessage({ kind: 'ok', runId: 'ua' }));
      await waitFor(() => bodiesOf('ok').some((s) => (s.body as { runId?: string }).runId === 'ua'), 'it');
      await waitFor(() => agents.some((a) => a.startsWith('DELETE ')), 'the delete');
    } finally {
      dc.unsubscribe('http.client.request.start', record);
    }
    // This test's own send is the only request without it: the host polled, received and deleted.
    const others = agents.filter((a) => !a.includes(HOST_USER_AGENT));
    expect(others).toEqual([expect.stringMatching(/^POST /)]);
    expect(agents.filter((a) => a.startsWith('GET ')).length).toBeGreaterThan(0);
    expect(agents.every((a) => a.includes(HOST_USER_AGENT) === !a.startsWith('POST '))).toBe(true);
  });

  it('retries a failing message after the visibility timeout and poisons it after 5 attempts', async () => {
    const started = Date.now();
    await queue.sendMessage(encodeQueueMessage({ kind: 'fail', runId: 'r2' }));
    await waitFor(() => poisoned.length === 1, 'the poison hook', 15_000);
    const attempts = bodiesOf('fail');
    expect(attempts.map((a) => a.dequeueCount)).toEqual([1, 2, 3, 4, 5]);
    // Four retries, each after the 1 s visibility timeout.
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    expect(poisoned[0]).toMatchObject({
      functionName: 'rotationWorker',
      queueName: 'rotation-runs',
      poisonQueueName: 'rotation-runs-poison',
      dequeueCount: 5,
      reason: 'maxDequeueCount',
      payload: { kind: 'fail', runId: 'r2' },
    });
    const poison = await poisonQueue.receiveMessages({ numberOfMessages: 5 });
    expect(poison.receivedMessageItems).toHaveLength(1);
    expect(Buffer.from(poison.receivedMessageItems[0]!.messageText, 'base64').toString('utf8')).toBe(
      JSON.stringify({ kind: 'fail', runId: 'r2' }),
    );
    expect((await queue.peekMessages()).peekedMessageItems).toHaveLength(0);
  }, 20_000);

  it('moves a message that is not base64 straight to the poison queue', async () => {
    const before = seen.length;
    await queue.sendMessage('not base64 {');
    await waitFor(
      () => poisoned.some((p) => p.reason === 'undecodable'),
      'the undecodable message to be poisoned',
    );
    expect(seen.length).toBe(before);
  });

  it('runs at most batchSize + newBatchThreshold messages at once, as the queue extension does', async () => {
    await Promise.all(
      Array.from({ length: 9 }, (_, i) => queue.sendMessage(encodeQueueMessage({ kind: 'slow', i }))),
    );
    await waitFor(() => bodiesOf('slow').length === 9, 'all slow messages', 10_000);
    // batchSize 3, newBatchThreshold 1: a second batch is fetched while one message still runs
    expect(maxRunning).toBeGreaterThan(3);
    expect(maxRunning).toBeLessThanOrEqual(4);
  });

  it('runs a queue function on demand through /admin with a plain input', async () => {
    const url = `${host.url}/admin/functions/rotationWorker`;
    const denied = await fetch(url, { method: 'POST', headers: { 'x-functions-key': 'wrong' } });
    expect(denied.status).toBe(401);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'x-functions-key': functionKey, 'content-type': 'application/json' },
      body: JSON.stringify({ input: JSON.stringify({ kind: 'admin', runId: 'r9' }) }),
    });
    expect(res.status).toBe(202);
    await waitFor(() => bodiesOf('admin').length === 1, 'the admin invocation');
    expect(bodiesOf('admin')[0]).toMatchObject({ body: { kind: 'admin', runId: 'r9' }, dequeueCount: 1 });
  });
});
