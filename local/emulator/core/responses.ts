/** The responses the server core builds itself: injected faults, routing errors, handler failures, bodies. */
import { randomUUID } from 'node:crypto';
import type { EmulatorResponse } from '../types.js';
import type { FaultAction } from './faults.js';
import { errorBody, HttpError } from './http-error.js';
import type { Router } from './router.js';

export type TerminalFault = Exclude<FaultAction, { kind: 'latency' }>;

/** Error codes for injected faults, as each kind of origin spells them. */
export function faultResponse(
  fault: TerminalFault,
  server: 'vault' | 'emulator',
  ruleId: string,
): EmulatorResponse {
  const note = `Injected by the emulator (${ruleId}).`;
  switch (fault.kind) {
    case 'throttle': {
      const headers: Record<string, string> = { 'Retry-After': String(fault.retryAfterSeconds ?? 1) };
      if (fault.retryAfterMs !== undefined) {
        headers['retry-after-ms'] = String(fault.retryAfterMs);
        headers['x-ms-retry-after-ms'] = String(fault.retryAfterMs);
      }
      const code = server === 'vault' ? 'Throttled' : 'TooManyRequests';
      return { status: 429, headers, body: errorBody(code, `Too many requests. ${note}`) };
    }
    case 'error':
      return fault.status === 503
        ? { status: 503, body: errorBody('ServiceUnavailable', `The service is unavailable. ${note}`) }
        : { status: 500, body: errorBody('InternalServerError', `An internal error occurred. ${note}`) };
    case 'forbidden':
      return server === 'vault'
        ? {
            status: 403,
            body: errorBody('Forbidden', `Caller is not authorized to perform action on resource. ${note}`, {
              innererror: { code: 'ForbiddenByRbac' },
            }),
          }
        : {
            status: 403,
            body: errorBody('AuthorizationFailed', `The client does not have authorization. ${note}`),
          };
    default:
      throw new Error(`Fault ${fault.kind} has no response`);
  }
}

export function serialise(response: EmulatorResponse): { headers: Record<string, string>; payload?: Buffer } {
  const headers: Record<string, string> = { 'x-ms-request-id': randomUUID(), ...response.headers };
  const has = (name: string) => Object.keys(headers).some((key) => key.toLowerCase() === name);
  let payload: Buffer | undefined;
  let type: string | undefined;
  if (response.body === undefined) {
    payload = undefined;
  } else if (Buffer.isBuffer(response.body)) {
    payload = response.body;
    type = 'application/octet-stream';
  } else if (typeof response.body === 'string') {
    payload = Buffer.from(response.body, 'utf8');
    type = 'text/plain; charset=utf-8';
  } else {
    payload = Buffer.from(JSON.stringify(response.body), 'utf8');
    type = 'application/json; charset=utf-8';
  }
  if (type && !has('content-type')) headers['Content-Type'] = type;
  headers['Content-Length'] = String(payload?.length ?? 0);
  return { headers, payload };
}

export function routingError(match: Exclude<ReturnType<Router['match']>, { found: true }>): EmulatorResponse {
  switch (match.reason) {
    case 'bad-encoding':
      return {
        status: 400,
        body: errorBody('BadParameter', 'The request path has a malformed percent escape.'),
      };
    case 'method-not-allowed':
      return {
        status: 405,
        headers: { Allow: match.allow.join(', ') },
        body: errorBody('MethodNotAllowed', `Allowed methods: ${match.allow.join(', ')}.`),
      };
    default:
      return { status: 404, body: errorBody('NotFound', 'No such route on this emulator origin.') };
  }
}

export async function runHandler(
  handler: () => EmulatorResponse | Promise<EmulatorResponse>,
): Promise<EmulatorResponse> {
  try {
    return await handler();
  } catch (error) {
    if (error instanceof HttpError) {
      return {
        status: error.status,
        headers: error.headers,
        body: errorBody(error.code, error.message, error.extra),
      };
    }
    // Only the error's name and message: handlers never put values into messages, and no stack leaves here.
    process.stderr.write(`emulator: handler failed (${describe(error)})\n`);
    return { status: 500, body: errorBody('InternalError', 'The emulator failed to handle the request.') };
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}
