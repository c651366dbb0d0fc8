/** No secret value reaches the journal, an alert, a log line or a thrown error — whatever happens. */
import { describe, expect, it } from 'vitest';
import { createScenario } from '../fakes/scenario.js';
import type { RunRequest } from '../ports.js';
import { redact } from './alerts.js';
import { enqueueRotation } from './enqueue.js';
import { executeRun } from './execute.js';

type Scenario = ReturnType<typeof createScenario>;

function allValues(s: Scenario): string[] {
  const stored = Object.values(s.world.store.snapshot())
    .flatMap((secrets) => Object.values(secrets))
    .flat()
    .map((v) => v.value);
  return [...new Set([...stored, ...Object.values(s.provider.service.keys), ...s.provider.service.dead])];
}

function describeThrown(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(current.message, JSON.stringify(current));
    current = current.cause;
  }
  return parts.join('\n');
}

function expectNoValues(s: Scenario, thrown: unknown[] = []): void {
  const haystack = [
    JSON.stringify(s.world.journal.writes),
    JSON.stringify(s.world.notifier.alerts),
    JSON.stringify(s.world.log.lines),
    ...thrown.map(describeThrown),
  ].join('\n');
  const values = allValues(s);
  expect(values.length).toBeGreaterThanOrEqual(2);
  for (const value of values) expect(haystack).not.toContain(value);
}

async function run(s: Scenario, request: RunRequest): Promise<unknown[]> {
  const thrown: unknown[] = [];
  await enqueueRotation(s.world.deps, request);
  for (const message of s.world.queue.takeVisible()) {
    await executeRun(s.world.deps, message).catch((error: unknown) => thrown.push(error));
  }
  return thrown;
}

describe('secret values stay out of records', () => {
  it('normal and compromised runs', async () => {
    const s = createScenario({ group: { consumers: ['a', 'b'] } });
    s.world.propagator.failing.add('b');
    await run(s, s.request());
    s.world.propagator.failing.clear();
    s.world.clock.advance(60_000);
    await run(s, s.request({ compromised: true, trigger: { kind: 'http' } }));
    expect(s.world.journal.all().map((r) => r.status)).toEqual(['propagated-with-errors', 'revoked']);
    expectNoValues(s);
  });

  it('a provider whose rejection reason echoes the key', async () => {
    const s = createScenario({ settings: { validationTimeoutSeconds: 5 } });
    s.provider.validate = async (_ctx, credential) => ({
      ok: false,
      outcome: 'rejected',
      reason: `key ${credential.value} (${encodeURIComponent(credential.value)}) is not accepted`,
    });
    await run(s, s.request());
    const [failed] = s.world.journal.all();
    expect(failed?.error?.message).toContain('[redacted]');
    expectNoValues(s);
  });

  it('a provider that throws with the current key in its message', async () => {
    const s = createScenario();
    s.provider.issue = async (_ctx, current) => {
      throw new Error(`upstream refused ${current?.value}`);
    };
    await run(s, s.request());
    expect(s.world.journal.all()[0]?.status).toBe('failed');
    expectNoValues(s);
  });

  it('errors thrown when even the failure cannot be journaled', async () => {
    const s = createScenario();
    s.world.faults.inject({
      op: 'journal.replace',
      when: (args) => (args[0] as { status: string }).status === 'failed',
    });
    s.provider.validate = async (_ctx, credential) => {
      throw Object.assign(new Error(`boom ${credential.value}`), { code: 'Permanent' });
    };
    const thrown = await run(s, s.request());
    expect(thrown).toEqual([expect.objectContaining({ code: 'AzureUnavailable', transient: true })]);
    expectNoValues(s, thrown);
  });

  it('errors thrown after a crash', async () => {
    const s = createScenario();
    s.world.faults.inject({ op: 'store.setSecret', crash: true });
    const thrown = await run(s, s.request());
    expect(thrown).toHaveLength(1);
    expectNoValues(s, thrown);
  });
});

describe('redact', () => {
  it('replaces raw, URL-encoded and base64 forms; leaves short strings alone', () => {
    const secret = 'abc+/def==ghij';
    const text = `a ${secret} b ${encodeURIComponent(secret)} c ${Buffer.from(secret).toString('base64')} d`;
    expect(redact(text, [secret])).toBe('a [redacted] b [redacted] c [redacted] d');
    expect(redact('id abc', ['abc'])).toBe('id abc');
  });
});
