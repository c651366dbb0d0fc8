/**
 * The host's HTTP server: dispatches to the Event Grid webhook, the admin API and the HTTP triggers,
 * writes one log line per request (`code` redacted, never bodies), and never answers with a stack trace.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describeError } from '../../rotation/errors.js';
import type { Logger } from '../../rotation/ports.js';
import { ADMIN_FUNCTIONS_PREFIX, type AdminEndpoint } from './admin.js';
import { EVENT_GRID_WEBHOOK_PATH, type EventGridWebhook } from './eventgrid.js';
import type { HttpTriggerHost } from './http-trigger.js';
import { redactUrl, sendError } from './respond.js';

export interface HostServerParts {
  eventGrid: EventGridWebhook;
  admin: AdminEndpoint;
  httpTriggers: HttpTriggerHost;
  /** host.json `routePrefix` (`api`), without slashes; '' serves routes at the root. */
  routePrefix: string;
  logger: Logger;
}

function dispatcher(parts: HostServerParts) {
  const prefix = parts.routePrefix.toLowerCase();
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    const lower = path.toLowerCase();
    const adminName = lower.startsWith(ADMIN_FUNCTIONS_PREFIX)
      ? path.slice(ADMIN_FUNCTIONS_PREFIX.length)
      : undefined;
    if (lower === EVENT_GRID_WEBHOOK_PATH || lower === `${EVENT_GRID_WEBHOOK_PATH}/`) {
      await parts.eventGrid.handle(req, res, url);
    } else if (adminName !== undefined && !adminName.includes('/')) {
      let name: string;
      try {
        name = decodeURIComponent(adminName);
      } catch {
        // An undecodable name matches no function: the endpoint answers 404 for ''.
        name = '';
      }
      await parts.admin.handle(req, res, url, name);
    } else if (prefix === '') {
      await parts.httpTriggers.handle(req, res, url, path.slice(1));
    } else if (lower === `/${prefix}` || lower.startsWith(`/${prefix}/`)) {
      await parts.httpTriggers.handle(req, res, url, path.slice(prefix.length + 2));
    } else {
      sendError(res, 404, 'NotFound', 'No function serves this route.');
      req.resume();
    }
  };
}

export function createHostServer(parts: HostServerParts): Server {
  const dispatch = dispatcher(parts);
  const { logger } = parts;
  return createServer((req, res) => {
    const started = performance.now();
    const logged = redactUrl(req.url ?? '/');
    res.once('close', () => {
      const ms = Math.round(performance.now() - started);
      const method = req.method ?? 'GET';
      logger.info(`${method} ${logged} ${res.statusCode} ${ms}ms`, {
        method,
        path: logged,
        status: res.statusCode,
        ms,
      });
    });
    let url: URL;
    try {
      url = new URL(`http://127.0.0.1${req.url ?? '/'}`);
    } catch {
      sendError(res, 400, 'BadRequest', 'The request URL is malformed.');
      req.resume();
      return;
    }
    dispatch(req, res, url).catch((error: unknown) => {
      logger.error('local host request failed', { path: logged, error: describeError(error) });
      if (!res.headersSent) sendError(res, 500, 'InternalError', 'The request failed unexpectedly.');
      else res.destroy();
    });
  });
}

/** Listens on 127.0.0.1 (`port` 0: the OS picks); resolves the bound port. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) =>
      reject(new Error(`cannot listen on 127.0.0.1:${port}: ${error.message}`));
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting connections and closes idle ones; resolves once the last connection is gone. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
