/**
 * A tiny router: `:param` segments (`:param?` may be empty or absent, last segment only), literal segments
 * matched case-insensitively, first registered match wins. A path with a trailing slash that finds no route for
 * its method is retried without the slash. Each route carries the `kind` the request log reports (`arm`, `data`, `control`, a vault…).
 */
import type { Route, RouteHandler } from '../types.js';

export interface MountedRoute {
  method: Route['method'];
  pattern: string;
  handler: RouteHandler;
  /** What the request log calls requests to this route (`arm`, `data`, `control`, or a vault name). */
  kind: string;
}

interface CompiledSegment {
  literal?: string;
  param?: string;
  optional?: boolean;
}

interface CompiledRoute extends MountedRoute {
  segments: CompiledSegment[];
}

export type RouteMatch =
  | { found: true; route: MountedRoute; params: Record<string, string> }
  | { found: false; reason: 'not-found' }
  | { found: false; reason: 'method-not-allowed'; allow: string[]; kind: string }
  | { found: false; reason: 'bad-encoding' };

function compile(pattern: string): CompiledSegment[] {
  if (!pattern.startsWith('/')) throw new Error(`Route pattern must start with '/': ${pattern}`);
  const parts = pattern.split('/').slice(1);
  return parts.map((part, index) => {
    if (part.startsWith(':')) {
      const optional = part.endsWith('?');
      if (optional && index !== parts.length - 1) {
        throw new Error(`Only the last segment may be optional: ${pattern}`);
      }
      const name = optional ? part.slice(1, -1) : part.slice(1);
      if (!name) throw new Error(`Empty parameter name in ${pattern}`);
      return { param: name, optional };
    }
    return { literal: part.toLowerCase() };
  });
}

/** Splits a raw (percent-encoded) path into decoded segments. */
function splitPath(path: string): { ok: true; segments: string[] } | { ok: false; error: URIError } {
  const raw = path.split('/').slice(1);
  try {
    return { ok: true, segments: raw.map((segment) => decodeURIComponent(segment)) };
  } catch (error) {
    // A malformed escape (`%zz`, broken UTF-8) is the client's error: the caller answers 400.
    if (error instanceof URIError) return { ok: false, error };
    throw error;
  }
}

function matchSegments(route: CompiledRoute, segments: string[]): Record<string, string> | undefined {
  const pattern = route.segments;
  const last = pattern[pattern.length - 1];
  const optionalTail = last?.optional === true;
  if (segments.length !== pattern.length && !(optionalTail && segments.length === pattern.length - 1)) {
    return undefined;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    const got = segments[i];
    if (want.param !== undefined) {
      if (got === undefined || got === '') {
        if (!want.optional) return undefined;
        params[want.param] = '';
        continue;
      }
      params[want.param] = got;
    } else if (got === undefined || got.toLowerCase() !== want.literal) {
      return undefined;
    }
  }
  return params;
}

export class Router {
  readonly #routes: CompiledRoute[] = [];

  add(route: Route, kind: string): this {
    this.#routes.push({ ...route, kind, segments: compile(route.pattern) });
    return this;
  }

  addAll(routes: readonly Route[], kind: string): this {
    for (const route of routes) this.add(route, kind);
    return this;
  }

  match(method: string, path: string): RouteMatch {
    const split = splitPath(path);
    if (!split.ok) return { found: false, reason: 'bad-encoding' };
    const { segments } = split;
    const result = this.#matchSegments(method, segments);
    if (result.found || segments.length < 2 || segments[segments.length - 1] !== '') return result;
    const trimmed = this.#matchSegments(method, segments.slice(0, -1));
    if (trimmed.found || result.reason === 'not-found') return trimmed;
    return result;
  }

  #matchSegments(method: string, segments: string[]): RouteMatch {
    const allow = new Set<string>();
    let kind = '';
    for (const route of this.#routes) {
      const params = matchSegments(route, segments);
      if (!params) continue;
      if (route.method === method.toUpperCase()) return { found: true, route, params };
      allow.add(route.method);
      kind ||= route.kind;
    }
    if (allow.size > 0) return { found: false, reason: 'method-not-allowed', allow: [...allow], kind };
    return { found: false, reason: 'not-found' };
  }
}
