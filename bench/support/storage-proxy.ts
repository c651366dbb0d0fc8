/**
 * A counting HTTP proxy in front of Azurite: one loopback port per service (blob, queue, table) that
 * forwards every request unchanged and reports it (service, method, path without the query, status,
 * start/end on the shared clock, `nowMs`). The app under test gets the proxy's connection string, so every
 * storage call it makes — journal rows, leases, queue messages — is counted. Shared Key signatures cover
 * the path and `x-ms-*` headers, not the port, so forwarding keeps them valid.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { nowMs } from './calls.js';

export type StorageService = 'blob' | 'queue' | 'table';

export interface StorageCall {
  service: StorageService;
  method: string;
  /** Path without the account segment and without the query. */
  path: string;
  /** `comp=` / `restype=` of the query and the lease action (what operation it is), nothing else. */
  op: string;
  status: number;
  startMs: number;
  endMs: number;
}

export interface StorageProxy {
  connectionString: string;
  stop(): Promise<void>;
}

interface Target {
  service: StorageService;
  endpoint: string;
}

const SERVICES: StorageService[] = ['blob', 'queue', 'table'];

function endpointOf(connectionString: string, service: StorageService): string {
  const key = `${service[0]!.toUpperCase()}${service.slice(1)}Endpoint=`;
  const part = connectionString.split(';').find((p) => p.startsWith(key));
  if (!part) throw new Error(`the storage connection string has no ${key}`);
  return part.slice(key.length);
}

function operationOf(url: URL, leaseAction: string | string[] | undefined): string {
  const ops = ['comp', 'restype'].flatMap((name) => {
    const value = url.searchParams.get(name);
    return value ? [`${name}=${value}`] : [];
  });
  if (typeof leaseAction === 'string') ops.push(`action=${leaseAction}`);
  return ops.join('&');
}

async function listen(target: Target, onCall: (call: StorageCall) => void) {
  const upstream = new URL(target.endpoint);
  // An agent with a timeout follows the upstream's `Keep-Alive: timeout=N` hint (Azurite: 5 s) and drops an
  // idle socket a second before the upstream would, so a request is not sent on a socket being closed.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 60_000 });
  const account = upstream.pathname.replace(/\/+$/, '');
  const server = http.createServer((req, res) => {
    const startMs = nowMs();
    const url = new URL(req.url ?? '/', 'http://proxy');
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => {
          const path = url.pathname.startsWith(account) ? url.pathname.slice(account.length) : url.pathname;
          onCall({
            service: target.service,
            method: req.method ?? 'GET',
            path: decodeURIComponent(path) || '/',
            op: operationOf(url, req.headers['x-ms-lease-action']),
            status: answer.statusCode ?? 0,
            startMs,
            endMs: nowMs(),
          });
        });
      },
    );
    forward.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(error.message);
    });
    req.pipe(forward);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}${account}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

/** Starts one proxy per service and returns a connection string that points at them. */
export async function startStorageProxy(
  connectionString: string,
  onCall: (call: StorageCall) => void,
): Promise<StorageProxy> {
  const proxies = await Promise.all(
    SERVICES.map((service) => listen({ service, endpoint: endpointOf(connectionString, service) }, onCall)),
  );
  let rewritten = connectionString;
  SERVICES.forEach((service, i) => {
    const key = `${service[0]!.toUpperCase()}${service.slice(1)}Endpoint=`;
    rewritten = rewritten.replace(
      `${key}${endpointOf(connectionString, service)}`,
      `${key}${proxies[i]!.endpoint}`,
    );
  });
  return {
    connectionString: rewritten,
    async stop() {
      await Promise.all(proxies.map((p) => p.stop()));
    },
  };
}
