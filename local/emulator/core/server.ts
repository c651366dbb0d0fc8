/**
 * One HTTPS origin of the emulator (the shared emulator origin, or one vault). Every request goes through the
 * same steps, so every module gets them for free: route match → body (with a size limit) → fault injection →
 * gate (e.g. Key Vault's auth challenge) → handler → JSON response → request log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { EmulatorRequest, EmulatorResponse } from '../types.js';
import type { Clock } from './clock.js';
import type { FaultInjector } from './faults.js';
import { errorBody } from './http-error.js';
import { type RequestLog, type RequestLogEntry, redactQuery } from './request-log.js';
import { describe, faultResponse, routingError, runHandler, serialise } from './responses.js';
import type { Router } from './router.js';
import type { Timers } from './timers.js';
import type { EmulatorTls } from './tls.js';

export interface OriginServerOptions {
  /** `vault` for a vault's own origin, `emulator` for the shared one. */
  server: 'vault' | 'emulator';
  /** Log origin of unmatched requests (the vault's name on a vault origin, `emulator` on the shared one). */
  name: string;
  router: Router;
  tls: EmulatorTls;
  clock: Clock;
  faults: FaultInjector;
  log: RequestLog;
  timers: Timers;
  bodyLimitBytes: number;
  /** Runs after faults, before routing errors and handlers; a response short-circuits (Key Vault's 401). */
  gate?: (req: EmulatorRequest) => EmulatorResponse | undefined;
  /** Runs after each logged request (e.g. the expiry scan of a vault). */
  after?: () => void;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function isLoopback(address: string | undefined): boolean {
  return (
    address !== undefined &&
    (LOOPBACK.has(address) || address.startsWith('127.') || address.startsWith('::ffff:127.'))
  );
}

/**
 * How long an idle kept-alive connection stays open. Azure's front ends keep idle connections for minutes
 * (Azure Load Balancer: 4); Node's default of 5 s let the emulator close a socket just as a client sent a
 * request on it, which a client that does not retry (a test's observer) saw as a reset nobody injected.
 * `close()` still drops every connection at once.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 240_000;

export class OriginServer {
  readonly #options: OriginServerOptions;
  readonly #server: https.Server;
  readonly #sockets = new Set<Socket>();
  #origin = '';

  private constructor(options: OriginServerOptions) {
    this.#options = options;
    this.#server = https.createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        process.stderr.write(`emulator: request handling failed (${describe(error)})\n`);
        if (!res.headersSent) res.destroy();
      });
    });
    this.#server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Starts listening on 127.0.0.1 (port 0: the OS picks). */
  static async listen(options: OriginServerOptions, port = 0): Promise<OriginServer> {
    const origin = new OriginServer(options);
    await new Promise<void>((resolve, reject) => {
      origin.#server.once('error', reject);
      origin.#server.listen(port, '127.0.0.1', () => {
        origin.#server.off('error', reject);
        resolve();
      });
    });
    const address = origin.#server.address();
    if (address === null || typeof address === 'string') throw new Error('The server has no TCP address');
    origin.#origin = `https://127.0.0.1:${address.port}`;
    return origin;
  }

  /** `https://127.0.0.1:<port>` */
  get origin(): string {
    return this.#origin;
  }

  /** Stops accepting, drops every open connection, and resolves when the port is free. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const options = this.#options;
    const startMs = performance.now();
    const start = new Date();
    const clock = options.clock.now().toISOString();
    const url = new URL(req.url ?? '/', this.#origin);
    const method = (req.method ?? 'GET').toUpperCase();
    const match = options.router.match(method, url.pathname);
    const kind = match.found
      ? match.route.kind
      : match.reason === 'method-not-allowed'
        ? match.kind
        : options.name;
    const control = kind === 'control';

    const finish = (status: number | null, extra: Partial<RequestLogEntry> = {}) => {
      if (control) return;
      const endMs = performance.now();
      options.log.record({
        seq: options.log.nextSeq(),
        origin: kind,
        server: options.server,
        method,
        path: `${url.pathname}${redactQuery(url.search, 'strip')}`,
        status,
        ...extra,
        start: start.toISOString(),
        end: new Date().toISOString(),
        startMs,
        endMs,
        durationMs: endMs - startMs,
        clock,
      });
      options.after?.();
    };
    const respond = (response: EmulatorResponse, extra: Partial<RequestLogEntry> = {}) => {
      const { headers, payload } = serialise(response);
      if (!res.destroyed) {
        res.writeHead(response.status, headers);
        res.end(payload);
      }
      finish(response.status, extra);
    };

    if (control && !isLoopback(req.socket.remoteAddress)) {
      respond({
        status: 403,
        body: errorBody('Forbidden', 'The control API accepts loopback callers only.'),
      });
      return;
    }

    const body = await this.#readBody(req);
    if (body === 'too-large') {
      respond({
        status: 413,
        headers: { Connection: 'close' },
        body: errorBody('RequestEntityTooLarge', `The request body exceeds ${options.bodyLimitBytes} bytes.`),
      });
      return;
    }

    let logExtra: Partial<RequestLogEntry> = {};
    if (!control) {
      const decision = options.faults.decide({ origin: kind, method, path: url.pathname });
      if (decision.ruleIds.length > 0) logExtra = { faultRules: decision.ruleIds };
      if (decision.latencyMs > 0 && !(await options.timers.sleep(decision.latencyMs))) {
        res.destroy();
        finish(null, logExtra);
        return;
      }
      if (decision.terminal) {
        const { action, ruleId } = decision.terminal;
        logExtra.fault = action.kind;
        if (action.kind === 'reset') {
          req.socket.destroy();
          finish(null, logExtra);
          return;
        }
        if (action.kind === 'timeout') {
          await this.#hold(req, action.ms);
          finish(null, logExtra);
          return;
        }
        respond(faultResponse(action, options.server, ruleId), logExtra);
        return;
      }
    }

    const request: EmulatorRequest = {
      method,
      url,
      path: url.pathname,
      headers: req.headers,
      body,
      remoteAddress: req.socket.remoteAddress,
    };
    const gated = options.gate?.(request);
    if (gated) {
      respond(gated, logExtra);
      return;
    }
    if (!match.found) {
      respond(routingError(match), logExtra);
      return;
    }
    respond(await runHandler(() => match.route.handler(request, match.params)), logExtra);
  }

  async #readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
    const limit = this.#options.bodyLimitBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of req) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > limit) tooLarge = true;
      else chunks.push(buffer);
    }
    return tooLarge ? 'too-large' : Buffer.concat(chunks);
  }

  /** Holds a request without answering: until `ms` passed (then drops it), the client left, or stop. */
  async #hold(req: IncomingMessage, ms: number | undefined): Promise<void> {
    const socket = req.socket;
    if (socket.destroyed) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (ms === undefined) {
      await closed;
      return;
    }
    await Promise.race([this.#options.timers.sleep(ms), closed]);
    socket.destroy();
  }
}
