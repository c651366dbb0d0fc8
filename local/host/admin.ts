/**
 * `POST /admin/functions/{name}` runs a non-HTTP function on demand, like the Functions host's admin API
 * (Azure wants the master key; locally the function key). Body: optional `{ "input": "<string>" }` —
 * the queue message text for queue functions, the event JSON for Event Grid functions, ignored for
 * timers. Answers 202 at once; the invocation runs in the background (its failure is logged).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from '../../rotation/errors.js';
import type { Logger } from '../../rotation/ports.js';
import { hasValidKey } from './keys.js';
import {
  BodyTooLargeError,
  readBody,
  sendEmpty,
  sendError,
  sendTooLarge,
  UNAUTHORIZED_MESSAGE,
} from './respond.js';

export const ADMIN_FUNCTIONS_PREFIX = '/admin/functions/';
const ADMIN_MAX_BODY_BYTES = 64 * 1024;

/** Runs one function with the admin `input`; rejects with `AdminInputError` when the input cannot be used. */
export type AdminInvoker = (input: string) => Promise<unknown>;

export class AdminInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminInputError';
  }
}

export interface AdminEndpointOptions {
  /** Lower-cased function name → invoker; HTTP functions are listed with `undefined`. */
  invokers: ReadonlyMap<string, AdminInvoker | undefined>;
  functionKey: string;
  logger: Logger;
}

function inputOf(body: Buffer): string {
  if (body.length === 0) return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AdminInputError('The body must be JSON: { "input": "<string>" }.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AdminInputError('The body must be a JSON object: { "input": "<string>" }.');
  }
  const input = (parsed as { input?: unknown }).input;
  if (input === undefined || input === null) return '';
  if (typeof input !== 'string') throw new AdminInputError('"input" must be a string.');
  return input;
}

export class AdminEndpoint {
  readonly #options: AdminEndpointOptions;

  constructor(options: AdminEndpointOptions) {
    this.#options = options;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, name: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'POST') {
      sendError(res, 405, 'MethodNotAllowed', `Method ${method} is not allowed on this route.`, {
        allow: 'POST',
      });
      req.resume();
      return;
    }
    if (!hasValidKey(req.headers, url.searchParams, this.#options.functionKey)) {
      sendError(res, 401, 'Unauthorized', UNAUTHORIZED_MESSAGE);
      req.resume();
      return;
    }
    const key = name.toLowerCase();
    if (!this.#options.invokers.has(key)) {
      sendError(res, 404, 'NotFound', 'No function has that name.');
      req.resume();
      return;
    }
    const invoker = this.#options.invokers.get(key);
    if (!invoker) {
      sendError(res, 400, 'BadRequest', 'HTTP functions are called at their own route, not through /admin.');
      req.resume();
      return;
    }
    let input: string;
    try {
      input = inputOf(await readBody(req, ADMIN_MAX_BODY_BYTES));
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendTooLarge(req, res, error.limit);
        return;
      }
      if (error instanceof AdminInputError) {
        sendError(res, 400, 'BadRequest', error.message);
        return;
      }
      throw error;
    }
    let started: Promise<unknown>;
    try {
      started = invoker(input);
    } catch (error) {
      if (error instanceof AdminInputError) {
        sendError(res, 400, 'BadRequest', error.message);
        return;
      }
      throw error;
    }
    started.catch((error: unknown) => {
      this.#options.logger.error('admin invocation failed', {
        functionName: name,
        error: describeError(error),
      });
    });
    sendEmpty(res, 202);
  }
}
