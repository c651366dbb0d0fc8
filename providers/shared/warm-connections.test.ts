import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emulatorTls } from '../../local/emulator/core/tls.js';
import { type DataPlaneOptions, probe, warmUp } from './http-probe.js';
import { WarmConnections } from './warm-connections.js';

/** A data plane that counts TLS connections and requests; `dropNextIdle` drops the next connection's request. */
interface Plane {
  url: string;
  connections: number;
  requests: Array<{ path: string; connection: number; header: string | undefined }>;
  dropNextIdle: boolean;
  server: https.Server;
}

let plane: Plane;
let caCert: string;

beforeAll(async () => {
  const tls = await emulatorTls();
  caCert = tls.caCert;
  const server = https.createServer({ cert: tls.cert, key: tls.key });
  plane = { url: '', connections: 0, requests: [], dropNextIdle: false, server };
  const ids = new WeakMap<object, number>();
  const dropped = new WeakSet<object>();
  server.on('secureConnection', (socket: TLSSocket) => {
    plane.connections += 1;
    ids.set(socket, plane.connections);
    if (plane.dropNextIdle) {
      // Looks open to the client until its request arrives; then closed without an answer.
      plane.dropNextIdle = false;
      dropped.add(socket);
    }
  });
  server.on('request', (req, res) => {
    if (dropped.has(req.socket)) return req.socket.destroy();
    plane.requests.push({
      path: req.url ?? '',
      connection: ids.get(req.socket) ?? 0,
      header: req.headers.connection,
    });
    res.writeHead(req.headers['api-key'] === 'good' ? 200 : 401).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  plane.url = `https://localhost:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => plane.server.close(() => resolve()));
});

afterEach(() => {
  plane.requests = [];
  plane.connections = 0;
  plane.dropNextIdle = false;
});

const request = (key: string) => ({
  method: 'GET' as const,
  url: new URL('openai/models?api-version=x', plane.url),
  headers: { 'api-key': key },
  label: 'test call',
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('validation on a connection opened ahead', () => {
  it('carries the validation call on the connection opened while the key was minted, then closes it', async () => {
    const connections = new WarmConnections();
    const options: DataPlaneOptions = { ca: caCert, connections };
    warmUp(plane.url, options);
    await until(() => plane.connections === 1);
    expect(connections.idleCount).toBe(1);

    expect(await probe(request('good'), options)).toEqual({ ok: true });

    expect(plane.connections).toBe(1);
    expect(plane.requests).toEqual([
      { path: '/openai/models?api-version=x', connection: 1, header: 'close' },
    ]);
    expect(connections.idleCount).toBe(0);
    // Used once: the next call connects itself.
    expect(await probe(request('bad'), options)).toMatchObject({ ok: false, outcome: 'rejected' });
    expect(plane.connections).toBe(2);
    expect(plane.requests[1]).toMatchObject({ connection: 2, header: 'close' });
  });

  it('sends once more on a connection of its own when the one opened ahead was closed under it', async () => {
    const connections = new WarmConnections();
    const options: DataPlaneOptions = { ca: caCert, connections };
    plane.dropNextIdle = true;
    warmUp(plane.url, options);
    await until(() => plane.connections === 1);

    expect(connections.idleCount).toBe(1);

    expect(await probe(request('good'), options)).toEqual({ ok: true });
    expect(plane.connections).toBe(2);
    expect(plane.requests).toHaveLength(1);
    expect(plane.requests[0]?.connection).toBe(2);
  });

  it('closes a connection nobody used after its idle time, and opens nothing for other origins or schemes', async () => {
    const connections = new WarmConnections({ idleMs: 50 });
    const options: DataPlaneOptions = { ca: caCert, connections };
    warmUp(plane.url, options);
    warmUp('http://localhost:1/', options);
    warmUp('not a url', options);
    expect(connections.idleCount).toBe(1);
    await until(() => connections.idleCount === 0);
    const other = new URL(plane.url.replace('localhost', '127.0.0.1'));
    expect(connections.take(other)).toBeUndefined();
    expect(await probe(request('good'), options)).toEqual({ ok: true });
    expect(plane.requests[0]?.connection).toBe(2);
  });

  it('verifies the certificate of a connection opened ahead: an untrusted data plane is reported, not called', async () => {
    const connections = new WarmConnections();
    const untrusted: DataPlaneOptions = { connections }; // the system CAs, not the local one
    warmUp(plane.url, untrusted);
    await until(() => connections.idleCount === 0);
    const result = await probe(request('good'), untrusted);
    expect(result).toMatchObject({ ok: false, outcome: 'unavailable' });
    expect(plane.requests).toHaveLength(0);
  });

  it('without connections, each call connects itself with the trusted CA', async () => {
    const options: DataPlaneOptions = { ca: caCert };
    warmUp(plane.url, options);
    expect(await probe(request('good'), options)).toEqual({ ok: true });
    expect(await probe(request('good'), options)).toEqual({ ok: true });
    expect(plane.connections).toBe(2);
  });
});
