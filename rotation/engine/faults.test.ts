/**
 * Failure injection: every port call of a run fails in turn (a fault), or the process dies there (a
 * crash). After a fault the run is failed at the phase it was attempting, alerted, and Key Vault still
 * serves the previous credential when promotion had not started; a retry finishes it. After a crash the
 * queue's redelivery resumes the run and the group ends on one credential, written once.
 */
import { describe, expect, it } from 'vitest';
import { isRotationError } from '../errors.js';
import { createScenario, type ScenarioOptions } from '../fakes/scenario.js';
import type { RunPhase } from '../kinds.js';
import type { RunRecord, RunRequest } from '../ports.js';
import { enqueueRotation } from './enqueue.js';
import { executeRun } from './execute.js';

const NORMAL: RunPhase[] = ['queued', 'claimed', 'issued', 'validated', 'promoted', 'propagated', 'done'];
const COMPROMISED: RunPhase[] = [
  'queued',
  'claimed',
  'issued',
  'validated',
  'promoted',
  'propagated',
  'revoked',
  'done',
];
/** Calls made before the run's journal row is read: a failure there is retried by the queue. */
const BEFORE_RUN = new Set([
  'catalog.resolveSecret',
  'catalog.resolveGroup',
  'locks.tryAcquire',
  'journal.get',
]);
/**
 * Calls whose failure the run absorbs (retried in-run, or harmless). A lease renewal that fails without
 * saying the lease is lost (a storage hiccup) leaves the run on its last renewal, still in its term.
 */
const ABSORBED = new Set([
  'provider.validate',
  'store.setSecret',
  'lease.release',
  'lease.renew',
  'notifier.send',
]);

interface Variant {
  name: string;
  compromised: boolean;
  options: ScenarioOptions;
}

const VARIANTS: Variant[] = [
  { name: 'normal', compromised: false, options: {} },
  { name: 'compromised', compromised: true, options: {} },
  {
    name: 'normal, provider cannot retrieve',
    compromised: false,
    options: { provider: { retrieve: false } },
  },
  {
    name: 'normal, issued in process (one write for issued and validated)',
    compromised: false,
    options: { provider: { retrieve: false, issuing: 'in-process' } },
  },
];

async function prepared(variant: Variant) {
  const scenario = createScenario(variant.options);
  const request = scenario.request(
    variant.compromised ? { compromised: true, trigger: { kind: 'http' } } : {},
  );
  const outcome = await enqueueRotation(scenario.world.deps, request);
  if (outcome.kind !== 'run') throw new Error('expected a run');
  const [message] = scenario.world.queue.takeVisible();
  scenario.world.faults.resetCalls();
  return { ...scenario, message: message!, runId: outcome.run.id };
}

async function callLog(variant: Variant): Promise<string[]> {
  const { world, message } = await prepared(variant);
  await executeRun(world.deps, message);
  return [...world.faults.calls];
}

function expectHealthy(s: Awaited<ReturnType<typeof prepared>>, run: RunRecord, variant: Variant): void {
  expect(run.status).toBe(variant.compromised ? 'revoked' : 'done');
  const values = s.group.secrets.map((secret) => s.world.store.peek(s.group.vault, secret.name)!);
  expect(new Set(values.map((v) => v.value)).size).toBe(1);
  expect(s.provider.service.isLive(values[0]!.value)).toBe(true);
  for (const v of values) expect(v.tags.RotationId).toBe(run.id);
  // written once: the seeded version plus exactly one of ours
  for (const secret of s.group.secrets) {
    expect(s.world.store.versions(s.group.vault, secret.name)).toHaveLength(2);
  }
  expect(run.newVersions).toEqual(
    Object.fromEntries(s.group.secrets.map((x, i) => [x.name, values[i]!.version])),
  );
}

for (const variant of VARIANTS) {
  describe(`a fault at each port call (${variant.name})`, async () => {
    const calls = await callLog(variant);
    const phases = variant.compromised ? COMPROMISED : NORMAL;

    it('the clean run makes the calls this sweep covers', () => {
      expect(calls.length).toBeGreaterThan(15);
    });

    for (const [index, op] of calls.entries()) {
      it(`#${index} ${op}`, async () => {
        const s = await prepared(variant);
        const before = s.world.store.snapshot();
        let journaled: RunPhase | undefined;
        let writing: RunPhase | undefined;
        s.world.faults.onCall((call) => {
          if (call.index !== index) return;
          journaled = s.world.journal.peek(s.runId)?.phase;
          if (op === 'journal.replace') writing = (call.args[0] as RunRecord).phase;
        });
        s.world.faults.failAt(index);
        const outcome = await executeRun(s.world.deps, s.message).then(
          (run) => ({ run }),
          (error: unknown) => ({ error }),
        );
        expect(s.world.faults.injected).toEqual([{ index, op }]);

        if ('error' in outcome) {
          expect(BEFORE_RUN.has(op)).toBe(true);
          expect(isRotationError(outcome.error) && outcome.error.transient).toBe(true);
          expect(s.world.store.snapshot()).toEqual(before);
          expect(s.world.journal.peek(s.runId)?.status).toBe('queued');
        } else if (outcome.run.status === 'failed') {
          // Key Vault is written while `validated` is journaled: a run whose `validated` write fails is
          // attempting `promoted` (Key Vault may serve the new credential), the phase after `validated`.
          const alongsidePromotion = journaled === 'issued' && writing === 'validated';
          // Consumers are told while `promoted` is journaled, and their call leaves first: the journal
          // holds `validated` when it fails, and `promoted` once the write made alongside lands.
          const alongsidePropagation = op === 'propagator.propagate' && journaled === 'validated';
          if (alongsidePropagation) journaled = 'promoted';
          const attempting = alongsidePromotion ? 'promoted' : phases[phases.indexOf(journaled!) + 1];
          expect(outcome.run.error?.phase).toBe(attempting);
          expect(outcome.run.phase).toBe(journaled);
          expect(s.world.notifier.ofKind('run-failed')).toEqual([
            expect.objectContaining({
              runId: s.runId,
              text: expect.stringContaining(`failed at ${attempting}`),
            }),
          ]);
          expect(outcome.run.alerts.map((a) => a.kind)).toContain('run-failed');
          if (['claimed', 'issued', 'validated'].includes(attempting!)) {
            expect(s.world.store.snapshot()).toEqual(before);
          }
        } else {
          expect(ABSORBED.has(op)).toBe(true);
          expectHealthy(s, outcome.run, variant);
          return;
        }
        // the queue (or an HTTP retry) finishes the run
        s.world.clock.advance(s.world.timing.leaseSeconds * 1000);
        const retry: RunRequest = {
          ...s.message,
          trigger: { kind: 'http' },
          requestedAt: s.world.clock.now().toISOString(),
        };
        expectHealthy(s, await executeRun(s.world.deps, retry), variant);
      });
    }
  });

  describe(`a crash at each port call, then the queue redelivers (${variant.name})`, async () => {
    const calls = await callLog(variant);
    for (const [index, op] of calls.entries()) {
      it(`#${index} ${op}`, async () => {
        const s = await prepared(variant);
        s.world.faults.failAt(index, { crash: true });
        const first = executeRun(s.world.deps, s.message);
        if (op === 'lease.release') {
          // the run had finished and journaled; a lease left behind expires by itself
          expectHealthy(s, await first, variant);
        } else {
          await expect(first).rejects.toBeDefined();
        }
        s.world.faults.recover();
        s.world.clock.advance(s.world.timing.leaseSeconds * 1000);
        const run = await executeRun(s.world.deps, s.message);
        expect(run.attempt).toBe(1);
        expectHealthy(s, run, variant);
        expect(s.provider.calls.filter((c) => c === 'issue').length).toBeLessThanOrEqual(2);
      });
    }
  });
}

describe('named crash points', () => {
  it('a lost journal write after promote: Key Vault tags tell the resume that promotion happened', async () => {
    const s = await prepared(VARIANTS[0]!);
    s.world.faults.inject({
      op: 'journal.replace',
      when: (args) => (args[0] as RunRecord).phase === 'promoted',
      crash: true,
    });
    await expect(executeRun(s.world.deps, s.message)).rejects.toBeDefined();
    expect(s.world.journal.peek(s.runId)?.phase).toBe('validated');
    s.world.faults.recover();
    s.world.clock.advance(60_000);
    const run = await executeRun(s.world.deps, s.message);
    expectHealthy(s, run, VARIANTS[0]!);
    expect(s.provider.calls.filter((c) => c === 'issue')).toHaveLength(1);
  });

  it('a failed `promoted` write while consumers are told: the run fails once they are, and the retry tells them again without writing Key Vault again', async () => {
    const s = await prepared(VARIANTS[0]!);
    const told: string[] = [];
    const inner = s.world.propagator;
    const deps = {
      ...s.world.deps,
      propagator: {
        ...inner,
        propagate: async (run: RunRecord, group: Parameters<typeof inner.propagate>[1]) => {
          told.push(run.phase);
          return inner.propagate(run, group);
        },
      },
    };
    s.world.faults.inject({
      op: 'journal.replace',
      when: (args) => (args[0] as RunRecord).phase === 'promoted',
      times: Number.POSITIVE_INFINITY,
    });
    const writes = () => s.world.faults.calls.filter((op) => op === 'store.setSecret').length;
    const failed = await executeRun(deps, s.message);
    expect(failed).toMatchObject({ status: 'failed', phase: 'validated', error: { phase: 'promoted' } });
    expect(told).toEqual(['promoted']);
    const written = writes();
    s.world.faults.clear();
    s.world.clock.advance(2 * 3_600_000); // past RETRY_FAILED_AFTER_MINUTES
    const run = await executeRun(deps, s.message);
    expectHealthy(s, run, VARIANTS[0]!);
    expect(told).toEqual(['promoted', 'promoted']);
    expect(writes()).toBe(written);
  });

  it('a failed `validated` write while Key Vault is written: the run fails at promoted, and the retry neither validates nor writes again', async () => {
    const s = await prepared(VARIANTS[2]!); // no retrieve: the credential can only come back from Key Vault
    s.world.faults.inject({
      op: 'journal.replace',
      when: (args) => (args[0] as RunRecord).phase === 'validated',
      times: Number.POSITIVE_INFINITY,
    });
    const failed = await executeRun(s.world.deps, s.message);
    expect(failed).toMatchObject({ status: 'failed', phase: 'issued', error: { phase: 'promoted' } });
    const [alert] = s.world.notifier.ofKind('run-failed');
    expect(alert?.text).toContain('failed at promoted');
    expect(alert?.text).not.toContain('Nothing was promoted');
    for (const secret of s.group.secrets) {
      expect(s.world.store.peek(s.group.vault, secret.name)!.tags.RotationId).toBe(s.runId);
    }
    const count = (op: string) => s.world.faults.calls.filter((c) => c === op).length;
    const [writes, validations] = [count('store.setSecret'), count('provider.validate')];
    s.world.faults.clear();
    s.world.clock.advance(2 * 3_600_000); // past RETRY_FAILED_AFTER_MINUTES
    const run = await executeRun(s.world.deps, s.message);
    expectHealthy(s, run, VARIANTS[2]!);
    expect(run.phases.map((p) => p.phase)).toContain('validated');
    expect(count('store.setSecret')).toBe(writes);
    expect(count('provider.validate')).toBe(validations);
    expect(s.provider.calls.filter((c) => c === 'issue')).toHaveLength(1);
  });

  it('a crash once Key Vault is written but before `validated` is journaled: the resume at `issued` finishes with what was written', async () => {
    const s = await prepared(VARIANTS[2]!); // no retrieve: the credential can only come back from Key Vault
    const replace = s.world.journal.replace.bind(s.world.journal);
    let crashed = false;
    s.world.journal.replace = async (run, etag) => {
      if (run.phase === 'validated' && !crashed) {
        crashed = true;
        // The `validated` write is slow: Key Vault's writes land first, then the process dies.
        await new Promise((resolve) => setTimeout(resolve, 20));
        s.world.faults.inject({ op: 'journal.replace', crash: true });
      }
      return replace(run, etag);
    };
    await expect(executeRun(s.world.deps, s.message)).rejects.toBeDefined();
    expect(s.world.journal.peek(s.runId)?.phase).toBe('issued');
    for (const secret of s.group.secrets) {
      expect(s.world.store.peek(s.group.vault, secret.name)!.tags.RotationId).toBe(s.runId);
    }
    s.world.faults.recover();
    s.world.faults.clear();
    s.world.clock.advance(60_000);
    const run = await executeRun(s.world.deps, s.message);
    expectHealthy(s, run, VARIANTS[2]!);
    expect(s.provider.calls.filter((c) => c === 'issue')).toHaveLength(1);
    expect(s.provider.calls.filter((c) => c === 'validate')).toHaveLength(1);
  });

  it('partial promotion: the resume writes the rest with the same credential, read back from Key Vault', async () => {
    const variant = VARIANTS[2]!; // no retrieve: the value can only come from the written sibling
    const s = await prepared(variant);
    s.world.faults.inject({
      op: 'store.setSecret',
      when: (args) => args[1] === 'openai-key-batch',
      crash: true,
    });
    await expect(executeRun(s.world.deps, s.message)).rejects.toBeDefined();
    const written = s.world.store.peek(s.group.vault, 'openai-key')!;
    expect(written.tags.RotationId).toBe(s.runId);
    expect(s.world.store.peek(s.group.vault, 'openai-key-batch')!.tags.RotationId).toBeUndefined();
    s.world.faults.recover();
    s.world.clock.advance(60_000);
    const run = await executeRun(s.world.deps, s.message);
    expectHealthy(s, run, variant);
    expect(s.world.store.peek(s.group.vault, 'openai-key-batch')!.value).toBe(written.value);
    expect(s.provider.calls.filter((c) => c === 'issue')).toHaveLength(1);
  });

  it('a crash between issue and validate without retrieve issues again and validates the new one', async () => {
    const variant = VARIANTS[2]!;
    // Validation answers "unavailable" once, so `issued` is journaled while it backs off; the process
    // dies at the second attempt.
    const s = await prepared({
      ...variant,
      options: { provider: { ...variant.options.provider, unavailableFirst: 1 } },
    });
    s.world.faults.inject({ op: 'provider.validate', skip: 1, crash: true });
    await expect(executeRun(s.world.deps, s.message)).rejects.toBeDefined();
    const firstKid = s.world.journal.peek(s.runId)!.credentialId;
    s.world.faults.recover();
    s.world.clock.advance(60_000);
    const run = await executeRun(s.world.deps, s.message);
    expectHealthy(s, run, variant);
    expect(run.phases.map((p) => p.phase)).toEqual([
      'queued',
      'claimed',
      'issued',
      'issued',
      'validated',
      'promoted',
      'propagated',
      'done',
    ]);
    expect(firstKid).toBeDefined();
  });

  it('a worker that loses its lease stops writing; the next worker finishes', async () => {
    const s = await prepared(VARIANTS[0]!);
    // validation takes long, the lease keeper cannot renew (another worker took the expired lease)
    s.world.faults.inject({ op: 'lease.renew', times: Number.POSITIVE_INFINITY });
    s.provider.validate = async () => {
      await s.world.clock.sleep(45_000);
      return { ok: true };
    };
    await expect(executeRun(s.world.deps, s.message)).rejects.toMatchObject({ code: 'LeaseLost' });
    expect(s.world.journal.peek(s.runId)?.phase).toBe('issued');
    s.world.faults.clear();
    const run = await executeRun(s.world.deps, s.message);
    expectHealthy(s, run, VARIANTS[0]!);
  });
});
