/**
 * Route templates as the Functions host matches them under the route prefix: literal segments
 * (case-insensitive), `{param}` (one segment, URL-decoded into `request.params`) and a final `{*rest}`.
 * When several templates match, the most specific wins: literals before params before catch-alls,
 * compared segment by segment (`runs/active` beats `runs/{id}`).
 */
import type { HttpFunctionDefinition } from '../../functions/definition.js';

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string }
  | { kind: 'catchAll'; name: string };

export interface CompiledRoute {
  definition: HttpFunctionDefinition;
  segments: Segment[];
  methods: ReadonlySet<string>;
}

export interface RouteMatch {
  route: CompiledRoute;
  params: Record<string, string>;
}

function compileSegment(text: string): Segment {
  const catchAll = /^\{\*([A-Za-z][A-Za-z0-9_]*)\}$/.exec(text);
  if (catchAll) return { kind: 'catchAll', name: catchAll[1]! };
  const param = /^\{([A-Za-z][A-Za-z0-9_]*)\}$/.exec(text);
  if (param) return { kind: 'param', name: param[1]! };
  return { kind: 'literal', text: text.toLowerCase() };
}

export function compileRoutes(definitions: readonly HttpFunctionDefinition[]): CompiledRoute[] {
  return definitions.map((definition) => ({
    definition,
    segments: definition.trigger.route
      .split('/')
      .filter((s) => s !== '')
      .map(compileSegment),
    methods: new Set(definition.trigger.methods.map((m) => m.toUpperCase())),
  }));
}

function decodeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    // A malformed escape cannot match any route: the caller answers 404.
    return undefined;
  }
}

function matchOne(route: CompiledRoute, parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [i, segment] of route.segments.entries()) {
    if (segment.kind === 'catchAll') {
      const rest = parts.slice(i).map(decodeSegment);
      if (rest.some((p) => p === undefined)) return undefined;
      params[segment.name] = rest.join('/');
      return params;
    }
    const raw = parts[i];
    if (raw === undefined) return undefined;
    const part = decodeSegment(raw);
    if (part === undefined || part === '') return undefined;
    if (segment.kind === 'literal') {
      if (part.toLowerCase() !== segment.text) return undefined;
    } else {
      params[segment.name] = part;
    }
  }
  return parts.length === route.segments.length ? params : undefined;
}

const RANK = { literal: 0, param: 1, catchAll: 2 } as const;

function moreSpecific(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const ra = a.segments[i] ? RANK[a.segments[i]!.kind] : 3;
    const rb = b.segments[i] ? RANK[b.segments[i]!.kind] : 3;
    if (ra !== rb) return ra - rb;
  }
  return 0;
}

/** Every route matching `path` (below the prefix, no leading slash), most specific first. */
export function matchRoutes(routes: readonly CompiledRoute[], path: string): RouteMatch[] {
  const parts = path.split('/').filter((p, i, all) => !(p === '' && i === all.length - 1));
  const matches: RouteMatch[] = [];
  for (const route of routes) {
    const params = matchOne(route, parts);
    if (params) matches.push({ route, params });
  }
  return matches.sort((x, y) => moreSpecific(x.route, y.route));
}
