/**
 * Fault rules of the storage fault proxy: which requests (service, method, path, query, headers) get which
 * fault (429 + `Retry-After`, 500, 503, no answer, connection reset), how often (`times`, else until removed),
 * and whether the fault strikes before the request reaches Azurite or after it was processed (the answer
 * is lost: the write happened, the client cannot know).
 */
export type StorageService = 'blob' | 'queue' | 'table';
export const STORAGE_SERVICES: readonly StorageService[] = ['blob', 'queue', 'table'];

export type ProxyFault =
  | {
      kind: 'throttle';
      /** `Retry-After` in seconds (default 1). */
      retryAfterSeconds?: number;
      /** Also sends `x-ms-retry-after-ms` / `retry-after-ms` (Azure SDK retry policies prefer them). */
      retryAfterMs?: number;
    }
  | { kind: 'error'; status: 500 | 503 }
  /** No answer; the connection is dropped after `ms` (omitted: held until the client gives up). */
  | { kind: 'timeout'; ms?: number; after?: boolean }
  | { kind: 'reset'; after?: boolean };

/** What a rule sees of a request (never the body or the Authorization header). */
export interface ProxiedRequest {
  service: StorageService;
  method: string;
  /** Path without the query, e.g. `/devstoreaccount1/rotation-runs/messages`. */
  path: string;
  query: URLSearchParams;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface ProxyFaultInput {
  service?: StorageService;
  method?: string;
  /** Tested against the path (without query), case-insensitive when given as a string. */
  path?: RegExp | string;
  /** Query parameters that must be present; a string value must also be equal (e.g. `{ comp: 'lease' }`). */
  query?: Record<string, string | true>;
  /** Headers that must be equal, case-insensitive (e.g. `{ 'x-ms-lease-action': 'renew' }`). */
  headers?: Record<string, string>;
  /** Any further condition. */
  match?: (request: ProxiedRequest) => boolean;
  fault: ProxyFault;
  /** Apply to the next N matching requests only (else until removed). */
  times?: number;
}

export interface ProxyFaultRule extends Omit<ProxyFaultInput, 'match' | 'path'> {
  id: string;
  path?: string;
  /** Requests the rule has affected so far. */
  applied: number;
}

interface ActiveRule {
  rule: ProxyFaultRule;
  path?: RegExp;
  match?: (request: ProxiedRequest) => boolean;
}

function headerValue(headers: ProxiedRequest['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export class ProxyFaultSet {
  readonly #rules: ActiveRule[] = [];
  #nextId = 1;

  add(input: ProxyFaultInput): ProxyFaultRule {
    if (input.times !== undefined && (!Number.isInteger(input.times) || input.times < 1)) {
      throw new RangeError('times must be a whole number ≥ 1');
    }
    const path =
      input.path === undefined
        ? undefined
        : typeof input.path === 'string'
          ? new RegExp(input.path, 'i')
          : input.path;
    const { match, path: _path, ...rest } = input;
    const rule: ProxyFaultRule = {
      ...rest,
      ...(path ? { path: path.source } : {}),
      ...(rest.method ? { method: rest.method.toUpperCase() } : {}),
      id: `proxy-fault-${this.#nextId++}`,
      applied: 0,
    };
    this.#rules.push({ rule, ...(path ? { path } : {}), ...(match ? { match } : {}) });
    return { ...rule };
  }

  remove(id: string): boolean {
    const index = this.#rules.findIndex((r) => r.rule.id === id);
    if (index < 0) return false;
    this.#rules.splice(index, 1);
    return true;
  }

  clear(): void {
    this.#rules.length = 0;
  }

  list(): ProxyFaultRule[] {
    return this.#rules.map((r) => ({ ...r.rule }));
  }

  /** The fault for one request (the first matching rule), consuming its `times` budget. */
  decide(request: ProxiedRequest): { ruleId: string; fault: ProxyFault } | undefined {
    for (const active of this.#rules) {
      if (!matches(active, request)) continue;
      const { rule } = active;
      rule.applied += 1;
      if (rule.times !== undefined && rule.applied >= rule.times) this.remove(rule.id);
      return { ruleId: rule.id, fault: rule.fault };
    }
    return undefined;
  }
}

function matches(active: ActiveRule, request: ProxiedRequest): boolean {
  const { rule } = active;
  if (rule.service !== undefined && rule.service !== request.service) return false;
  if (rule.method !== undefined && rule.method !== request.method.toUpperCase()) return false;
  if (active.path && !active.path.test(request.path)) return false;
  for (const [name, wanted] of Object.entries(rule.query ?? {})) {
    const value = request.query.get(name);
    if (value === null || (wanted !== true && value.toLowerCase() !== wanted.toLowerCase())) return false;
  }
  for (const [name, wanted] of Object.entries(rule.headers ?? {})) {
    if (headerValue(request.headers, name)?.toLowerCase() !== wanted.toLowerCase()) return false;
  }
  return active.match ? active.match(request) : true;
}
