/**
 * The storage fault proxy through the real storage SDKs against Azurite: requests pass unchanged,
 * faults strike the matching requests only (by service, path, query, header), `times` bounds them,
 * "after" faults let Azurite process the request and lose the answer, and stop() frees held requests.
 */
import http from 'node:http';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAzurite, startAzurite } from '../azurite.js';
import { type RunningFaultProxy, startFaultProxy } from './index.js';

let azurite: RunningAzurite;
let proxy: RunningFaultProxy;
const noRetry = { retryOptions: { maxRetries: 0 }, allowInsecureConnection: true };

const table = (connectionString: string) =>
  TableClient.fromConnectionString(connectionString, 'proxied', noRetry);

beforeAll(async () => {
  azurite = await startAzurite();
  proxy = await startFaultProxy(azurite);
  await table(proxy.connectionString).createTable();
});

afterAll(async () => {
  await proxy?.stop();
  await azurite?.stop();
});

afterEach(() => {
  proxy.clearFaults();
  proxy.clearRequests();
});

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

describe('fault proxy', () => {
  it('points every endpoint of the connection string at 127.0.0.1 ports of its own, same account', () => {
    for (const service of ['blob', 'queue', 'table'] as const) {
      expect(proxy.endpoints[service]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
      expect(proxy.connectionString).toContain(proxy.endpoints[service]);
    }
    expect(proxy.connectionString).toContain('AccountName=devstoreaccount1');
  });

  it('passes requests through unchanged (SharedKey signatures still verify)', async () => {
    await table(proxy.connectionString).createEntity({ partitionKey: 'p', rowKey: 'pass', n: 1 });
    const read = await table(azurite.connectionString).getEntity('p', 'pass');
    expect(read.n).toBe(1);
    expect(proxy.requests({ service: 'table' }).map((r) => [r.method, r.status, r.forwarded])).toEqual([
      ['POST', 204, true],
    ]);
  });

  it('answers 503 once for the matching request, then forwards again', async () => {
    const rule = proxy.addFault({
      service: 'table',
      method: 'POST',
      fault: { kind: 'error', status: 503 },
      times: 1,
    });
    const client = table(proxy.connectionString);
    const failed = await client.createEntity({ partitionKey: 'p', rowKey: 'once' }).catch((e: unknown) => e);
    expect(statusOf(failed)).toBe(503);
    await client.createEntity({ partitionKey: 'p', rowKey: 'once' });
    expect(proxy.faults()).toEqual([]);
    expect(proxy.requests().map((r) => [r.status, r.fault, r.ruleId])).toEqual([
      [503, 'error', rule.id],
      [204, undefined, undefined],
    ]);
  });

  it('throttles with 429, Retry-After and retry-after-ms, in the service error shape', async () => {
    proxy.addFault({ service: 'queue', fault: { kind: 'throttle', retryAfterSeconds: 2, retryAfterMs: 50 } });
    const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>(
      (resolve, reject) => {
        http
          .get(`${proxy.endpoints.queue}/anything?comp=list`, { agent: false }, (res) => {
            let text = '';
            res.on('data', (c: Buffer) => {
              text += c.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
          })
          .on('error', reject);
      },
    );
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('2');
    expect(answer.headers['x-ms-retry-after-ms']).toBe('50');
    expect(answer.headers['x-ms-error-code']).toBe('ServerBusy');
    expect(answer.text).toContain('<Code>ServerBusy</Code>');
  });

  it('matches on query and header: only lease renewals fail', async () => {
    const blobs = BlobServiceClient.fromConnectionString(proxy.connectionString, {
      retryOptions: { maxTries: 1 },
    });
    const container = blobs.getContainerClient('proxy-locks');
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient('group');
    await blob.upload('', 0);
    proxy.addFault({
      service: 'blob',
      query: { comp: 'lease' },
      headers: { 'x-ms-lease-action': 'renew' },
      fault: { kind: 'error', status: 500 },
    });
    const lease = blob.getBlobLeaseClient();
    await lease.acquireLease(15);
    const renewed = await lease.renewLease().catch((e: unknown) => e);
    expect(statusOf(renewed)).toBe(500);
    await lease.releaseLease();
    expect(proxy.requests({ service: 'blob' }).filter((r) => r.fault)).toHaveLength(1);
  });

  it('reset before forwarding: the client fails and nothing is written', async () => {
    proxy.addFault({ service: 'table', method: 'POST', fault: { kind: 'reset' }, times: 1 });
    const failed = await table(proxy.connectionString)
      .createEntity({ partitionKey: 'p', rowKey: 'reset-before' })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    const read = await table(azurite.connectionString)
      .getEntity('p', 'reset-before')
      .catch((e: unknown) => e);
    expect(statusOf(read)).toBe(404);
  });

  it('reset after forwarding: the client fails although Azurite wrote it (the answer was lost)', async () => {
    proxy.addFault({ service: 'table', method: 'POST', fault: { kind: 'reset', after: true }, times: 1 });
    const failed = await table(proxy.connectionString)
      .createEntity({ partitionKey: 'p', rowKey: 'reset-after' })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect((await table(azurite.connectionString).getEntity('p', 'reset-after')).rowKey).toBe('reset-after');
    expect(proxy.requests()[0]).toMatchObject({ status: null, fault: 'reset', forwarded: true });
  });

  it('timeout holds the request without an answer, then drops the connection', async () => {
    proxy.addFault({ service: 'queue', fault: { kind: 'timeout', ms: 150 }, times: 1 });
    const queues = QueueServiceClient.fromConnectionString(proxy.connectionString, {
      retryOptions: { maxTries: 1 },
    });
    const started = Date.now();
    const failed = await queues
      .getQueueClient('held')
      .createIfNotExists()
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(proxy.requests()[0]).toMatchObject({ status: null, fault: 'timeout', forwarded: false });
  });

  it('stop() releases requests held without a time limit', async () => {
    const other = await startFaultProxy(azurite);
    other.addFault({ fault: { kind: 'timeout' } });
    const pending = table(other.connectionString)
      .createEntity({ partitionKey: 'p', rowKey: 'held' })
      .catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await other.stop();
    expect(await pending).toBeInstanceOf(Error);
  });
  it('sends a request again on a fresh socket when Azurite closed the kept-alive one it went out on', async () => {
    // An upstream that closes each connection when a second request arrives on it, unanswered: what a
    // keep-alive timeout firing as the request goes out looks like to the proxy.
    let seen = 0;
    const upstream = http.createServer((req, res) => {
      seen += 1;
      const socket = req.socket as typeof req.socket & { served?: number };
      socket.served = (socket.served ?? 0) + 1;
      if (socket.served > 1) {
        socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    const other = await proxyInFrontOf(upstream);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 2; i++) statuses.push((await fetch(`${other.endpoints.table}/Tables`)).status);
      expect(statuses).toEqual([200, 200]);
      // Second request: once on the closed socket, once more on a fresh one.
      expect(seen).toBe(3);
      expect(other.requests().map((r) => [r.status, r.forwarded])).toEqual([
        [200, true],
        [200, true],
      ]);
    } finally {
      await other.stop();
      await closeServer(upstream);
    }
  });
  it("drops an idle upstream socket a second before the upstream's Keep-Alive hint says it will", async () => {
    let connections = 0;
    let seen = 0;
    const upstream = http.createServer((_req, res) => {
      seen += 1;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    upstream.keepAliveTimeout = 2_000; // hints `Keep-Alive: timeout=2`
    upstream.on('connection', () => {
      connections += 1;
    });
    const other = await proxyInFrontOf(upstream);
    try {
      expect((await fetch(`${other.endpoints.table}/Tables`)).status).toBe(200);
      expect((await fetch(`${other.endpoints.table}/Tables`)).status).toBe(200);
      expect(connections).toBe(1); // kept alive while fresh
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      expect((await fetch(`${other.endpoints.table}/Tables`)).status).toBe(200);
      // The idle socket was let go at 1 s, before the upstream's 2 s: the third request opened a new one.
      expect(connections).toBe(2);
      expect(seen).toBe(3);
    } finally {
      await other.stop();
      await closeServer(upstream);
    }
  });
});

/** A fault proxy whose three endpoints all lead to `upstream` (a stand-in for Azurite), listening first. */
async function proxyInFrontOf(upstream: http.Server): Promise<RunningFaultProxy> {
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as { port: number };
  const origin = `http://127.0.0.1:${port}/devstoreaccount1`;
  return startFaultProxy({
    connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=${origin};QueueEndpoint=${origin};TableEndpoint=${origin};`,
    blobEndpoint: origin,
    queueEndpoint: origin,
    tableEndpoint: origin,
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}
