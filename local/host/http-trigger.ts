/**
 * HTTP triggers under `/<routePrefix>/<route>`: route match, 405 + `Allow`, function-key check, a real
 * `HttpRequest`, the handler, and its `HttpResponseInit`/`HttpResponse` written back. A thrown error is a
 * generic 500 (as in Azure), logged through `describeError` only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpResponse as HttpResponseType } from '@azure/functions';
import azureFunctions from '@azure/functions';
import type { HttpFunctionDefinition } from '../../functions/definition.js';
import { internalErrorResponse } from '../../functions/http/errors.js';
import { describeError } from '../../rotation/errors.js';
import type { Logger } from '../../rotation/ports.js';
import { createInvocationContext } from './context.js';
import { hasValidKey } from './keys.js';
import {
  BodyTooLargeError,
  readBody,
  sendError,
  sendJson,
  sendTooLarge,
  UNAUTHORIZED_MESSAGE,
} from './respond.js';
import { type CompiledRoute, compileRoutes, matchRoutes } from './routes.js';
import type { InvocationTracker } from './tracker.js';

const { HttpRequest, HttpResponse } = azureFunctions;

export interface HttpTriggerHostOptions {
  definitions: readonly HttpFunctionDefinition[];
  functionKey: string;
  maxBodyBytes: number;
  logger: Logger;
  tracker: InvocationTracker;
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function writeResponse(res: ServerResponse, response: HttpResponseType): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}

export class HttpTriggerHost {
  readonly #routes: CompiledRoute[];
  readonly #options: HttpTriggerHostOptions;

  constructor(options: HttpTriggerHostOptions) {
    this.#options = options;
    this.#routes = compileRoutes(options.definitions);
  }

  /** Handles `path` (below the route prefix, no leading slash). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    const matches = matchRoutes(this.#routes, path);
    if (matches.length === 0) {
      sendError(res, 404, 'NotFound', 'No function serves this route.');
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const match = matches.find((m) => m.route.methods.has(method));
    if (!match) {
      const allow = [...new Set(matches.flatMap((m) => [...m.route.methods]))].sort().join(', ');
      sendError(res, 405, 'MethodNotAllowed', `Method ${method} is not allowed on this route.`, { allow });
      return;
    }
    const { definition } = match.route;
    if (
      definition.trigger.authLevel === 'function' &&
      !hasValidKey(req.headers, url.searchParams, this.#options.functionKey)
    ) {
      sendError(res, 401, 'Unauthorized', UNAUTHORIZED_MESSAGE);
      req.resume();
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, this.#options.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendTooLarge(req, res, error.limit);
        return;
      }
      throw error;
    }
    const request = new HttpRequest({
      method,
      url: url.toString(),
      headers: headerRecord(req),
      params: match.params,
      ...(body.length > 0 ? { body: { bytes: body } } : {}),
    });
    const context = createInvocationContext({
      functionName: definition.name,
      triggerType: 'httpTrigger',
      logger: this.#options.logger,
    });
    let response: HttpResponseType;
    try {
      const result = await this.#options.tracker.track(
        Promise.resolve().then(() => definition.handler(request, context)),
      );
      response = result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
    } catch (error) {
      this.#options.logger.error('function failed', {
        functionName: definition.name,
        invocationId: context.invocationId,
        error: describeError(error),
      });
      const failure = internalErrorResponse();
      sendJson(res, failure.status, failure.jsonBody);
      return;
    }
    await writeResponse(res, response);
  }
}
