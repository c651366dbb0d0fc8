/**
 * Counts the rotator's storage calls — journal rows, leases, queue messages — in the rotator's own process,
 * from Node's HTTP client diagnostics channels, instead of through a counting proxy: the proxy's extra hop
 * cost the engine 4–6 ms per rotation that Azure does not charge (`npm run bench`, measured side by side).
 *
 * A request to one of Azurite's ports counts unless it is the local Functions host's own queue traffic
 * (its user agent starts with `HOST_USER_AGENT`): in Azure the host, not the worker, polls the queue. Times
 * are the client's, on the shared clock (`nowMs`): request created → response headers received. The
 * handlers only keep the raw request; it is parsed in `drain`, between rounds, not on the rotator's time.
 */

import dc from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { HOST_USER_AGENT } from '../../local/host/queue-listener.js';
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

const SERVICES: StorageService[] = ['blob', 'queue', 'table'];

function operationOf(url: URL, leaseAction: unknown): string {
  const ops = ['comp', 'restype'].flatMap((name) => {
    const value = url.searchParams.get(name);
    return value ? [`${name}=${value}`] : [];
  });
  if (typeof leaseAction === 'string') ops.push(`action=${leaseAction}`);
  return ops.join('&');
}

/** `host:port` → service, and the account path, from a storage connection string's endpoints. */
function endpointsOf(connectionString: string): { byHost: Map<string, StorageService>; account: string } {
  const byHost = new Map<string, StorageService>();
  let account = '';
  for (const service of SERVICES) {
    const key = `${service[0]!.toUpperCase()}${service.slice(1)}Endpoint=`;
    const part = connectionString.split(';').find((p) => p.startsWith(key));
    if (!part) throw new Error(`the storage connection string has no ${key}`);
    const url = new URL(part.slice(key.length));
    byHost.set(url.host, service);
    account = url.pathname.replace(/\/+$/, '');
  }
  return { byHost, account };
}

/** What the channels' handlers keep of a request: taken as is, read in `drain` (outside the run). */
interface RawCall {
  service: StorageService;
  method: string;
  /** The request's path with its query, as sent. */
  path: string;
  leaseAction: unknown;
  status: number;
  startMs: number;
  endMs: number;
}

export class StorageRecorder {
  readonly #byHost: Map<string, StorageService>;
  readonly #account: string;
  readonly #started = new WeakMap<ClientRequest, { startMs: number; service: StorageService }>();
  #pending: RawCall[] = [];

  readonly #onStart = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    const service = this.#byHost.get(String(request.getHeader('host') ?? ''));
    if (!service) return;
    if (String(request.getHeader('user-agent') ?? '').startsWith(HOST_USER_AGENT)) return;
    this.#started.set(request, { startMs: nowMs(), service });
  };

  /** Runs in the rotator's process while it works: keeps the raw request, parses nothing. */
  readonly #onResponse = (message: unknown) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    const started = this.#started.get(request);
    if (!started) return;
    this.#started.delete(request);
    this.#pending.push({
      service: started.service,
      method: request.method,
      path: request.path,
      leaseAction: request.getHeader('x-ms-lease-action'),
      status: response.statusCode ?? 0,
      startMs: started.startMs,
      endMs: nowMs(),
    });
  };

  #describe(raw: RawCall): StorageCall {
    const url = new URL(raw.path, 'http://storage');
    const path = url.pathname.startsWith(this.#account)
      ? url.pathname.slice(this.#account.length)
      : url.pathname;
    return {
      service: raw.service,
      method: raw.method,
      path: decodeURIComponent(path) || '/',
      op: operationOf(url, raw.leaseAction),
      status: raw.status,
      startMs: raw.startMs,
      endMs: raw.endMs,
    };
  }

  /** Starts counting requests to the storage `connectionString` names. */
  constructor(connectionString: string) {
    ({ byHost: this.#byHost, account: this.#account } = endpointsOf(connectionString));
    dc.subscribe('http.client.request.start', this.#onStart);
    dc.subscribe('http.client.response.finish', this.#onResponse);
  }

  /** The calls answered since the last `drain`, in the order they were answered. */
  drain(): StorageCall[] {
    const calls = this.#pending;
    this.#pending = [];
    return calls.map((raw) => this.#describe(raw));
  }

  stop(): void {
    dc.unsubscribe('http.client.request.start', this.#onStart);
    dc.unsubscribe('http.client.response.finish', this.#onResponse);
  }
}
