import { describe, expect, it } from 'vitest';
import { FaultInjector } from './faults.js';

const target = (path: string, method = 'GET', origin = 'kv') => ({ path, method, origin });

describe('FaultInjector', () => {
  it('matches globs (* within a segment, ** across), regexes, methods and origins', () => {
    const faults = new FaultInjector();
    faults.add({ path: '/secrets/*', fault: { kind: 'reset' } });
    expect(faults.decide(target('/secrets/a')).terminal?.action.kind).toBe('reset');
    expect(faults.decide(target('/secrets/a/b')).terminal).toBeUndefined();
    faults.clear();
    faults.add({ path: '/secrets/**', method: 'patch', origin: 'KV', fault: { kind: 'forbidden' } });
    expect(faults.decide(target('/SECRETS/a/b', 'PATCH')).terminal?.action.kind).toBe('forbidden');
    expect(faults.decide(target('/secrets/a/b', 'GET')).terminal).toBeUndefined();
    expect(faults.decide(target('/secrets/a/b', 'PATCH', 'arm')).terminal).toBeUndefined();
    faults.clear();
    faults.add({ pathRegex: '/listKeys$', fault: { kind: 'error', status: 503 } });
    expect(faults.decide(target('/subscriptions/s/x/listkeys')).terminal?.action).toEqual({
      kind: 'error',
      status: 503,
    });
  });

  it('spends a `times` budget and then removes the rule', () => {
    const faults = new FaultInjector();
    const rule = faults.add({ fault: { kind: 'reset' }, times: 2 });
    expect(rule.id).toMatch(/^fault-\d+$/);
    expect(faults.decide(target('/a')).ruleIds).toEqual([rule.id]);
    expect(faults.decide(target('/a')).ruleIds).toEqual([rule.id]);
    expect(faults.decide(target('/a')).ruleIds).toEqual([]);
    expect(faults.list()).toEqual([]);
  });

  it('adds up latencies and keeps the first terminal fault', () => {
    const faults = new FaultInjector();
    faults.add({ fault: { kind: 'latency', ms: 10 } });
    faults.add({ fault: { kind: 'throttle' } });
    faults.add({ fault: { kind: 'latency', ms: 5 } });
    faults.add({ fault: { kind: 'reset' } });
    const decision = faults.decide(target('/a'));
    expect(decision.latencyMs).toBe(15);
    expect(decision.terminal?.action.kind).toBe('throttle');
    expect(decision.ruleIds).toHaveLength(3);
  });

  it('draws fractions from a seeded RNG: same seed, same calls', () => {
    const run = (seed: number) => {
      const faults = new FaultInjector();
      faults.add({ fault: { kind: 'reset' }, fraction: 0.3, seed });
      return Array.from({ length: 200 }, () => faults.decide(target('/a')).terminal !== undefined);
    };
    const first = run(7);
    expect(run(7)).toEqual(first);
    expect(run(8)).not.toEqual(first);
    const hits = first.filter(Boolean).length;
    expect(hits).toBeGreaterThan(35);
    expect(hits).toBeLessThan(85);
  });

  it('refuses malformed rules', () => {
    const faults = new FaultInjector();
    expect(() => faults.add({ fault: { kind: 'latency', ms: -1 } })).toThrow();
    expect(() => faults.add({ path: 'no-slash', fault: { kind: 'reset' } })).toThrow();
    expect(() => faults.add({ pathRegex: '[', fault: { kind: 'reset' } })).toThrow(/regular expression/);
    expect(() => faults.add({ fault: { kind: 'reset' }, times: 0 })).toThrow();
    expect(faults.list()).toEqual([]);
  });
});
