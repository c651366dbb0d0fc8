/**
 * Fault injection: rules matched on origin, method and path decide whether a request is delayed, answered with
 * a synthetic error (429, 500, 503, 403), reset, or held without an answer. A rule applies to the next N
 * matching calls (`times`), to a fraction of them (`fraction`, drawn from a seeded RNG so runs repeat), or to
 * every matching call until removed.
 */
import { z } from 'zod';

export const faultActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('latency'), ms: z.number().int().min(0).max(600_000) }),
  z.object({
    kind: z.literal('throttle'),
    /** `Retry-After` in seconds (default 1). */
    retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
    /** Also sends `retry-after-ms` / `x-ms-retry-after-ms`, which Azure SDK retry policies prefer. */
    retryAfterMs: z.number().int().min(0).max(3_600_000).optional(),
  }),
  z.object({ kind: z.literal('error'), status: z.union([z.literal(500), z.literal(503)]) }),
  z.object({ kind: z.literal('forbidden') }),
  z.object({ kind: z.literal('reset') }),
  z.object({
    kind: z.literal('timeout'),
    /** Hold this long, then drop the connection; omitted: until the client gives up or the emulator stops. */
    ms: z.number().int().min(0).max(600_000).optional(),
  }),
]);
export type FaultAction = z.infer<typeof faultActionSchema>;

export const faultRuleInputSchema = z
  .object({
    /** HTTP method (any when omitted). */
    method: z
      .string()
      .regex(/^[A-Za-z]+$/)
      .optional(),
    /** Glob on the path: `*` within one segment, `**` across segments; case-insensitive. */
    path: z.string().startsWith('/').optional(),
    /** Regular expression (source) tested against the path, case-insensitive. Alternative to `path`. */
    pathRegex: z.string().min(1).optional(),
    /** Origin as the request log names it: a vault name, `arm`, `data`; any when omitted. */
    origin: z.string().min(1).optional(),
    fault: faultActionSchema,
    /** Apply to the next N matching calls only. */
    times: z.number().int().min(1).optional(),
    /** Apply to this fraction of matching calls (0..1). */
    fraction: z.number().min(0).max(1).optional(),
    /** Seed for `fraction` decisions (default fixed, so runs repeat). */
    seed: z.number().int().optional(),
  })
  .refine((rule) => !(rule.path !== undefined && rule.pathRegex !== undefined), {
    message: 'Give either path or pathRegex, not both',
    path: ['pathRegex'],
  })
  .superRefine((rule, ctx) => {
    if (rule.pathRegex === undefined) return;
    try {
      new RegExp(rule.pathRegex, 'i');
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'invalid';
      ctx.addIssue({
        code: 'custom',
        path: ['pathRegex'],
        message: `Not a valid regular expression: ${reason}`,
      });
    }
  });
export type FaultRuleInput = z.input<typeof faultRuleInputSchema>;

export interface FaultRule {
  id: string;
  method?: string;
  path?: string;
  pathRegex?: string;
  origin?: string;
  fault: FaultAction;
  times?: number;
  fraction?: number;
  seed?: number;
  /** How many calls the rule has affected so far. */
  applied: number;
}

export interface FaultTarget {
  origin: string;
  method: string;
  path: string;
}

/** What to do to one request: total added latency, then at most one terminal fault. */
export interface FaultDecision {
  latencyMs: number;
  terminal?: { ruleId: string; action: Exclude<FaultAction, { kind: 'latency' }> };
  /** Ids of every rule that applied (for the request log). */
  ruleIds: string[];
}

const DEFAULT_SEED = 0x5eed;

/** mulberry32: a small, fast, seedable PRNG, good enough to pick which calls fail. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*') {
      if (glob[i + 1] === '*') {
        source += '.*';
        i++;
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 'i');
}

interface ActiveRule {
  rule: FaultRule;
  pathMatcher?: RegExp;
  random: () => number;
}

export class FaultInjector {
  readonly #rules: ActiveRule[] = [];
  #nextId = 1;

  /** Validates and adds a rule; throws a ZodError on bad input. */
  add(input: FaultRuleInput): FaultRule {
    const parsed = faultRuleInputSchema.parse(input);
    const rule: FaultRule = {
      id: `fault-${this.#nextId++}`,
      ...parsed,
      method: parsed.method?.toUpperCase(),
      applied: 0,
    };
    for (const key of Object.keys(rule) as (keyof FaultRule)[]) {
      if (rule[key] === undefined) delete rule[key];
    }
    const pathMatcher =
      parsed.pathRegex !== undefined
        ? new RegExp(parsed.pathRegex, 'i')
        : parsed.path !== undefined
          ? globToRegExp(parsed.path)
          : undefined;
    this.#rules.push({ rule, pathMatcher, random: seededRandom(parsed.seed ?? DEFAULT_SEED) });
    return structuredClone(rule);
  }

  list(): FaultRule[] {
    return this.#rules.map((active) => structuredClone(active.rule));
  }

  remove(id: string): boolean {
    const index = this.#rules.findIndex((active) => active.rule.id === id);
    if (index < 0) return false;
    this.#rules.splice(index, 1);
    return true;
  }

  clear(): void {
    this.#rules.length = 0;
  }

  /** Decides the faults for one request, consuming `times` budgets of the rules that apply. */
  decide(target: FaultTarget): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, ruleIds: [] };
    for (const active of [...this.#rules]) {
      const { rule } = active;
      if (decision.terminal && rule.fault.kind !== 'latency') continue;
      if (!this.#matches(active, target)) continue;
      if (rule.fraction !== undefined && active.random() >= rule.fraction) continue;
      rule.applied++;
      decision.ruleIds.push(rule.id);
      if (rule.fault.kind === 'latency') decision.latencyMs += rule.fault.ms;
      else decision.terminal = { ruleId: rule.id, action: rule.fault };
      if (rule.times !== undefined && rule.applied >= rule.times) this.remove(rule.id);
    }
    return decision;
  }

  #matches(active: ActiveRule, target: FaultTarget): boolean {
    const { rule } = active;
    if (rule.origin !== undefined && rule.origin.toLowerCase() !== target.origin.toLowerCase()) return false;
    if (rule.method !== undefined && rule.method !== target.method.toUpperCase()) return false;
    if (active.pathMatcher && !active.pathMatcher.test(target.path)) return false;
    return true;
  }
}
