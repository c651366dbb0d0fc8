/**
 * Test support for the ARM and data-plane modules: a manual clock, a context, and an in-process dispatcher
 * that matches routes the way the core router does (`:param`, optional last `:param?`, literals
 * case-insensitive, first match wins). Handler tests use it; SDK tests go through the real server.
 */
import type { EmulatorClock, EmulatorContext, EmulatorRequest, EmulatorResponse, Route } from '../types.js';

export class ManualClock implements EmulatorClock {
  private current: number;
  private readonly listeners: ((now: Date) => void | Promise<void>)[] = [];

  constructor(start = new Date()) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
    for (const listener of this.listeners) void listener(this.now());
  }

  onAdvance(listener: (now: Date) => void | Promise<void>): void {
    this.listeners.push(listener);
  }
}

export function testContext(origin = 'https://127.0.0.1:4430'): { ctx: EmulatorContext; clock: ManualClock } {
  const clock = new ManualClock();
  return { clock, ctx: { clock, origin: () => origin } };
}

export interface TestRequest {
  method: string;
  /** Path and query, e.g. `/subscriptions/s/…/listKeys?api-version=2025-09-01`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
}

function match(pattern: string, segments: string[]): Record<string, string> | undefined {
  const want = pattern.split('/').slice(1);
  const optionalTail = want.at(-1)?.endsWith('?') === true;
  if (segments.length !== want.length && !(optionalTail && segments.length === want.length - 1))
    return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i] ?? '';
    const got = segments[i];
    if (part.startsWith(':')) {
      const optional = part.endsWith('?');
      const name = optional ? part.slice(1, -1) : part.slice(1);
      if (!got && !optional) return undefined;
      params[name] = got ?? '';
    } else if (got === undefined || got.toLowerCase() !== part.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

/** Sends one request to the first matching route; 404/405 with an empty body when none matches. */
export async function dispatch(
  routes: readonly Route[],
  request: TestRequest,
  origin = 'https://127.0.0.1:4430',
): Promise<EmulatorResponse & { json: () => unknown; text: () => string }> {
  const url = new URL(request.path, origin);
  const body =
    request.body === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(request.body)
        ? request.body
        : Buffer.from(typeof request.body === 'string' ? request.body : JSON.stringify(request.body));
  const headers: Record<string, string> = { host: url.host };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  const req: EmulatorRequest = {
    method: request.method.toUpperCase(),
    url,
    path: url.pathname,
    headers,
    body,
  };
  let segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
  let response: EmulatorResponse = { status: 404 };
  for (let attempt = 0; attempt < 2; attempt++) {
    const candidates = routes
      .map((route) => ({ route, params: match(route.pattern, segments) }))
      .filter((c) => c.params !== undefined);
    const hit = candidates.find((c) => c.route.method === req.method);
    if (hit?.params) {
      response = await hit.route.handler(req, hit.params);
      break;
    }
    if (candidates.length > 0) {
      response = { status: 405 };
      break;
    }
    if (segments.length > 1 && segments.at(-1) === '') segments = segments.slice(0, -1);
    else break;
  }
  return {
    ...response,
    json: () => (typeof response.body === 'string' ? JSON.parse(response.body) : response.body),
    text: () => (typeof response.body === 'string' ? response.body : JSON.stringify(response.body)),
  };
}
