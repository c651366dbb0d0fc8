/**
 * A small HTTP proxy in front of Azurite's blob, queue and table services (one 127.0.0.1 port each) that
 * injects storage faults: 429 + `Retry-After`, 500, 503, no answer, connection reset — before the request
 * reaches Azurite, or after it was processed (the answer is lost). Give the app `connectionString` (the
 * same account and key, endpoints pointing here); SharedKey signatures do not cover the host, so requests
 * pass unchanged. Logs method, service, path and query per request — never headers or bodies.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import {
  type ProxiedRequest,
  type ProxyFault,
  type ProxyFaultInput,
  type ProxyFaultRule,
  ProxyFaultSet,
  STORAGE_SERVICES,
  type StorageService,
} from './rules.js';

export interface FaultProxyTarget {
  /** Azurite's connection string (`startAzurite().connectionString`). */
  connectionString: string;
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
}

export interface ProxyLogEntry {
  seq: number;
  service: StorageService;
  method: string;
  path: string;
  /** The query string (SharedKey requests carry no secret in it). */
  query: string;
  /** Status sent to the client; null when none was (reset, held). */
  status: number | null;
  fault?: ProxyFault['kind'];
  ruleId?: string;
  /** Whether the request reached Azurite. */
  forwarded: boolean;
  at: string;
}

export interface RunningFaultProxy {
  /** Azurite's connection string with the three endpoints pointing at the proxy. */
  connectionString: string;
  endpoints: Record<StorageService, string>;
  addFault(rule: ProxyFaultInput): ProxyFaultRule;
  removeFault(id: string): boolean;
  clearFaults(): void;
  faults(): ProxyFaultRule[];
  requests(filter?: { service?: StorageService; since?: number }): ProxyLogEntry[];
  clearRequests(): void;
  /** Called after every proxied request; returns an unsubscribe function. */
  onRequest(listener: (entry: ProxyLogEntry) => void): () => void;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MAX_LOG = 20_000;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'expect', 'upgrade']);

const ERROR_TEXT: Record<number, { code: string; message: string }> = {
  429: { code: 'ServerBusy', message: 'The server is busy (fault proxy).' },
  500: { code: 'InternalError', message: 'The server encountered an internal error (fault proxy).' },
  503: { code: 'ServerBusy', message: 'The server is currently unable to receive requests (fault proxy).' },
};

/** An error answer shaped as the service sends it (XML for blob/queue, JSON for table). */
function errorAnswer(service: StorageService, status: number): { type: string; body: string } {
  const { code, message } = ERROR_TEXT[status] ?? { code: 'InternalError', message: 'Fault proxy error.' };
  if (service === 'table') {
    return {
      type: 'application/json;odata=minimalmetadata',
      body: JSON.stringify({ 'odata.error': { code, message: { lang: 'en-US', value: message } } }),
    };
  }
  return {
    type: 'application/xml',
    body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  };
}

function endpointOrigin(endpoint: string): URL {
  return new URL(endpoint);
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

/** The upstream socket was a kept-alive one that Azurite had closed (see `forward`). */
class StaleSocketError extends Error {
  readonly code = 'StaleSocket';
  constructor(cause: Error) {
    super(`kept-alive upstream socket was closed (${(cause as NodeJS.ErrnoException).code})`, { cause });
  }
}

interface Upstream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export async function startFaultProxy(target: FaultProxyTarget): Promise<RunningFaultProxy> {
  const faults = new ProxyFaultSet();
  const log: ProxyLogEntry[] = [];
  const listeners = new Set<(entry: ProxyLogEntry) => void>();
  const sockets = new Set<Socket>();
  const holds = new Set<() => void>();
  // An agent with a timeout follows the upstream's `Keep-Alive: timeout=N` hint (Azurite: 5 s) and drops an
  // idle socket a second before the upstream would, so a request is not sent on a socket being closed.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 60_000 });
  let seq = 0;
  let stopped = false;

  const record = (entry: Omit<ProxyLogEntry, 'seq' | 'at'>) => {
    const full: ProxyLogEntry = { ...entry, seq: ++seq, at: new Date().toISOString() };
    log.push(full);
    if (log.length > MAX_LOG) log.splice(0, log.length - MAX_LOG);
    for (const listener of listeners) {
      try {
        listener({ ...full });
      } catch (error) {
        process.stderr.write(`fault proxy: a listener failed (${(error as Error).message})\n`);
      }
    }
  };

  /** Holds the client without an answer until `ms` passed, the client left, or the proxy stops. */
  const hold = (socket: Socket, ms: number | undefined): Promise<void> =>
    new Promise((resolve) => {
      if (socket.destroyed) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        holds.delete(done);
        socket.destroy();
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      holds.add(done);
      socket.once('close', done);
    });

  /**
   * Sends the request on to Azurite. A kept-alive socket Azurite closed just as the request went out
   * (its keep-alive timeout racing ours) fails before Azurite read anything: that request is sent once
   * more on a fresh socket, as Node's documentation advises (`request.reusedSocket`). The proxy injects
   * the faults it is told to and no others.
   */
  const forward = async (origin: URL, req: http.IncomingMessage, body: Buffer): Promise<Upstream> => {
    try {
      return await forwardOnce(origin, req, body);
    } catch (error) {
      if (!(error instanceof StaleSocketError)) throw error;
      return forwardOnce(origin, req, body);
    }
  };

  const forwardOnce = (origin: URL, req: http.IncomingMessage, body: Buffer): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
      }
      headers.host = origin.host;
      headers['content-length'] = String(body.length);
      const upstream = http.request(
        { host: origin.hostname, port: origin.port, method: req.method, path: req.url, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        const stale = upstream.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        reject(stale ? new StaleSocketError(error) : error);
      });
      upstream.end(body);
    });

  const handle = async (
    service: StorageService,
    origin: URL,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const method = (req.method ?? 'GET').toUpperCase();
    const base = { service, method, path: url.pathname, query: url.search };
    const body = await readBody(req);
    if (body === undefined) {
      res.writeHead(413).end();
      record({ ...base, status: 413, forwarded: false });
      return;
    }
    const info: ProxiedRequest = {
      service,
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
    };
    const decision = stopped ? undefined : faults.decide(info);
    const fault = decision?.fault;
    const faulted = decision ? { fault: decision.fault.kind, ruleId: decision.ruleId } : {};
    const after = fault !== undefined && 'after' in fault && fault.after === true;

    if (fault && !after) {
      if (fault.kind === 'reset') {
        req.socket.destroy();
        record({ ...base, status: null, forwarded: false, ...faulted });
        return;
      }
      if (fault.kind === 'timeout') {
        await hold(req.socket, fault.ms);
        record({ ...base, status: null, forwarded: false, ...faulted });
        return;
      }
      const status = fault.kind === 'throttle' ? 429 : fault.status;
      const answer = errorAnswer(service, status);
      const headers: Record<string, string> = {
        'content-type': answer.type,
        'content-length': String(Buffer.byteLength(answer.body)),
        'x-ms-error-code': ERROR_TEXT[status]?.code ?? 'InternalError',
        'x-ms-request-id': `fault-${seq + 1}`,
      };
      if (fault.kind === 'throttle') {
        headers['retry-after'] = String(fault.retryAfterSeconds ?? 1);
        if (fault.retryAfterMs !== undefined) {
          headers['retry-after-ms'] = String(fault.retryAfterMs);
          headers['x-ms-retry-after-ms'] = String(fault.retryAfterMs);
        }
      }
      res.writeHead(status, headers).end(answer.body);
      record({ ...base, status, forwarded: false, ...faulted });
      return;
    }

    let upstream: Upstream;
    try {
      upstream = await forward(origin, req, body);
    } catch {
      const answer = errorAnswer(service, 500);
      res.writeHead(502, { 'content-type': answer.type }).end(answer.body);
      record({ ...base, status: 502, forwarded: false });
      return;
    }
    if (fault && after) {
      // Processed by Azurite; the client never learns the outcome.
      if (fault.kind === 'timeout') await hold(req.socket, fault.ms);
      else req.socket.destroy();
      record({ ...base, status: null, forwarded: true, ...faulted });
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(upstream.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    }
    headers['content-length'] = String(upstream.body.length);
    if (!res.destroyed) res.writeHead(upstream.status, headers).end(upstream.body);
    record({ ...base, status: upstream.status, forwarded: true });
  };

  const servers: http.Server[] = [];
  const endpoints = {} as Record<StorageService, string>;
  const targets: Record<StorageService, string> = {
    blob: target.blobEndpoint,
    queue: target.queueEndpoint,
    table: target.tableEndpoint,
  };
  try {
    for (const service of STORAGE_SERVICES) {
      const upstream = endpointOrigin(targets[service]);
      const server = http.createServer((req, res) => {
        handle(service, upstream, req, res).catch((error: unknown) => {
          process.stderr.write(`fault proxy: ${service} request failed (${(error as Error).message})\n`);
          if (!res.headersSent) res.destroy();
        });
      });
      server.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      servers.push(server);
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('fault proxy has no TCP address');
      // Same account path as Azurite's endpoint (`/devstoreaccount1`).
      endpoints[service] = `http://127.0.0.1:${address.port}${upstream.pathname.replace(/\/+$/, '')}`;
    }
  } catch (error) {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    throw error;
  }

  const connectionString = target.connectionString
    .replace(/BlobEndpoint=[^;]*/i, `BlobEndpoint=${endpoints.blob}`)
    .replace(/QueueEndpoint=[^;]*/i, `QueueEndpoint=${endpoints.queue}`)
    .replace(/TableEndpoint=[^;]*/i, `TableEndpoint=${endpoints.table}`);

  let stopping: Promise<void> | undefined;
  return {
    connectionString,
    endpoints,
    addFault: (rule) => faults.add(rule),
    removeFault: (id) => faults.remove(id),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    requests: (filter = {}) =>
      log
        .filter((e) => filter.service === undefined || e.service === filter.service)
        .filter((e) => filter.since === undefined || e.seq > filter.since)
        .map((e) => ({ ...e })),
    clearRequests: () => {
      log.length = 0;
    },
    onRequest(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        faults.clear();
        for (const release of [...holds]) release();
        const closed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
        for (const socket of sockets) socket.destroy();
        for (const server of servers) server.closeAllConnections();
        await Promise.all(closed);
        agent.destroy();
      })();
      return stopping;
    },
  };
}
