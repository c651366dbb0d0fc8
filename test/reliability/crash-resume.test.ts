/**
 * Issue 10, crash-resume: a worker in its own process is SIGKILLed after each phase of a run — right
 * after the journal write that enters it, or right before (the journal write lost while the step's effect,
 * e.g. the Key Vault versions, already happened) — or between the two Key Vault writes of a group; a new
 * worker takes the run over once the dead worker's leases are broken and its queue message reappears, and
 * finishes it from the journal and Key Vault's `RotationId` tags. More cases break the lease of a worker
 * that is alive but stalled (some with a lease renewal that storage granted before the break but the
 * worker reads only after the stall): a new worker finishes the run, and the stalled one, resumed, acts on
 * nothing and writes nothing. Every case: the invariant holds throughout, every secret of the group gets
 * exactly one new version carrying the run's id, siblings share one working key, and the journal holds
 * one run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunPhase } from '../../rotation/kinds.js';
import type { RunRecord } from '../../rotation/ports.js';
import { type CrashPlan, spawnWorker, type WorkerChild } from './support/crash.js';
import { allKeyVaultValues, findLeaks, rotatorOutputs, watchArmKeys } from './support/leaks.js';
import {
  accountId,
  keyPairGroupsSpec,
  keyVaultEvent,
  type ReliabilityStack,
  seedKeyPairGroups,
  startReliabilityStack,
  VAULT,
} from './support/stack.js';

interface Case {
  name: string;
  plan: CrashPlan;
  compromised: boolean;
}

const NORMAL_PHASES: RunPhase[] = ['claimed', 'issued', 'validated', 'promoted', 'propagated', 'done'];
const CASES: Case[] = [
  ...NORMAL_PHASES.flatMap((phase) =>
    (['after-write', 'before-write'] as const).map((when) => ({
      name: `${when === 'after-write' ? 'killed after journaling' : 'killed before journaling (write lost)'} ${phase}`,
      plan: { point: 'journal' as const, phase, when, action: 'kill' as const },
      compromised: false,
    })),
  ),
  ...(['after-write', 'before-write'] as const).map((when) => ({
    name: `compromise, ${when === 'after-write' ? 'killed after journaling' : 'killed before journaling (write lost)'} revoked`,
    plan: { point: 'journal' as const, phase: 'revoked' as const, when, action: 'kill' as const },
    compromised: true,
  })),
  {
    name: 'killed between the two Key Vault writes of the group',
    plan: { point: 'kv-set', count: 1, action: 'kill' },
    compromised: false,
  },
  {
    name: 'lease broken while the worker stalls after claiming',
    plan: { point: 'journal', phase: 'claimed', when: 'after-write', action: 'stall' },
    compromised: false,
  },
  {
    name: 'lease broken while the worker stalls after issuing',
    plan: { point: 'journal', phase: 'issued', when: 'after-write', action: 'stall' },
    compromised: false,
  },
  {
    name: 'lease broken while the worker stalls before promoting',
    plan: { point: 'journal', phase: 'validated', when: 'after-write', action: 'stall' },
    compromised: true,
  },
  // The stalled worker's last renewal succeeded before the break, but it reads the answer only after the
  // stall: that answer must not count as a fresh confirmation (CI caught a worker regenerating the key
  // another worker had just promoted, when a renewal happened to be in flight as the process froze).
  ...(['claimed', 'issued', 'validated'] as const).map((phase) => ({
    name: `lease broken while the worker stalls after journaling ${phase}, a renewal's answer unread`,
    plan: {
      point: 'journal' as const,
      phase,
      when: 'after-write' as const,
      action: 'stall' as const,
      renewal: 'answer-read-after-stall' as const,
    },
    compromised: phase === 'validated',
  })),
];

const groupOf = (i: number) => ({
  account: `oai-cr-${i}`,
  site: `site-cr-${i}`,
  secrets: [`cr-${i}-a`, `cr-${i}-b`] as const,
});

let stack: ReliabilityStack;
const children: WorkerChild[] = [];
const secretValues = new Set<string>();
const summary: { name: string; phaseAtCrash: string; resumedTo: string; ms: number }[] = [];

function child(i: number): WorkerChild {
  children[i] ??= spawnWorker({ ...stack.processSpec, crash: CASES[i]!.plan });
  return children[i]!;
}

beforeAll(async () => {
  const groups = CASES.map((_, i) => groupOf(i));
  stack = await startReliabilityStack({
    ...keyPairGroupsSpec(groups),
    settings: { HTTP_WAIT_SECONDS: '0' },
    timing: { leaseRenewEveryMs: 1000 },
    worker: false,
  });
  watchArmKeys(stack, { cognitive: groups.map((g) => accountId(g.account)) }, secretValues);
  await seedKeyPairGroups(stack, groups);
  child(0);
}, 60_000);

afterAll(async () => {
  for (const c of children) c?.kill();
  if (summary.length > 0) {
    console.log(
      [
        '',
        'Crash-resume (phase the journal held at the crash → how the new worker ended the run)',
        ...summary.map(
          (s) => `  ${s.name.padEnd(62)} ${s.phaseAtCrash.padEnd(11)} → ${s.resumedTo} (${s.ms} ms)`,
        ),
        `cases: ${summary.length}; resumed correctly: ${summary.length}; invariant violations: ${stack.invariants.violations().length}`,
      ].join('\n'),
    );
  }
  await stack?.stop();
});

async function versions(name: string) {
  const list = [];
  for await (const v of stack.secrets().listPropertiesOfSecretVersions(name)) list.push(v);
  return list.sort((a, b) => (a.createdOn?.getTime() ?? 0) - (b.createdOn?.getTime() ?? 0));
}

async function trigger(c: Case, name: string): Promise<string> {
  if (c.compromised) {
    const answer = await stack.api(`/api/secrets/${name}/rotate`, {
      body: { reason: `crash test: ${c.name}`, compromised: true },
    });
    expect(answer.status, answer.text).toBe(202);
    return (answer.json() as { id: string }).id;
  }
  const current = await stack.secrets().getSecret(name);
  const group = stack.app.config.findSecret(VAULT, name)!.group;
  const answer = await stack.deliver([
    keyVaultEvent('SecretNearExpiry', { name, version: current.properties.version! }),
  ]);
  expect(answer.status).toBe(202);
  return stack.runId(group, current.properties.version!);
}

const GOOD = (run: RunRecord) => run.status === 'done' || run.status === 'revoked';

describe('crash-resume: a new worker finishes what a dead (or stalled) one started', () => {
  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const started = Date.now();
      const worker = child(i);
      try {
        await runCase(c, i, worker, started);
      } catch (error) {
        // What each worker saw, for the failure report (names and codes only: logs never hold values).
        console.log(stack.logLines.slice(-40).join('\n'));
        console.log(`worker ${worker.pid}:\n${worker.output().slice(-3000)}`);
        throw error;
      } finally {
        worker.kill();
        await stack.stopWorker();
      }
    }, 60_000);
  });

  it('no secret value in the output of any worker, the journal, answers or alerts', async () => {
    for (const value of await allKeyVaultValues(stack)) secretValues.add(value);
    const outputs = {
      ...(await rotatorOutputs(stack)),
      'child worker output': children.filter(Boolean).map((c) => c.output()),
    };
    const hits = findLeaks(outputs, secretValues);
    console.log(`Crash-resume canary: ${secretValues.size} secret values → ${hits.length} hits`);
    expect(hits).toEqual([]);
  }, 60_000);
});

async function runCase(c: Case, i: number, worker: WorkerChild, started: number): Promise<void> {
  const g = groupOf(i);
  const before = await stack.secrets().getSecret(g.secrets[0]);
  const previousKey = before.value!;
  await worker.waitFor(/^READY$/m, 30_000);
  const runId = await trigger(c, g.secrets[0]);
  worker.send('go');
  if (i + 1 < CASES.length) child(i + 1); // built while this case runs

  let phaseAtCrash: string;
  if (c.plan.action === 'kill') {
    await worker.waitFor(/^CRASH .*$/m, 20_000);
    expect((await worker.exited).signal).toBe('SIGKILL');
    const run = (await stack.run(runId))!;
    phaseAtCrash = run.phase;
    if (c.plan.point === 'journal') {
      const journaled = run.phases.some((p) => p.phase === (c.plan as { phase: RunPhase }).phase);
      expect(journaled, `journal holds ${run.phase}`).toBe(c.plan.when === 'after-write');
    } else {
      // Mid-promotion: Key Vault holds new versions the journal does not know of yet.
      expect(run.phases.some((p) => p.phase === 'promoted')).toBe(false);
      const counts = await Promise.all(g.secrets.map(async (n) => (await versions(n)).length));
      expect(Math.max(...counts)).toBe(2);
    }
    expect(await stack.breakLeases()).toBeGreaterThanOrEqual(1);
    await stack.startWorker();
  } else {
    // A stall as a long GC pause or a partition looks: the whole process frozen, renewing nothing. Its
    // queue message reappears; its lease, broken here, stands for one that expired.
    await worker.waitFor(/^STALLED .*$/m, 20_000);
    worker.freeze();
    phaseAtCrash = (await stack.run(runId))!.phase;
    expect(await stack.breakLeases()).toBeGreaterThanOrEqual(1);
    await stack.startWorker();
  }
  const run = await stack.waitForRun(runId, GOOD, 30_000);
  await stack.stopWorker();
  if (c.plan.action === 'stall') {
    worker.thaw();
    worker.send('continue');
    await worker.waitFor(/^CONTINUED .*$/m, 10_000);
    await worker.waitFor(
      /lease (lost|on .* was lost)|changed by another worker|another run of group|LeaseLost|RunInProgress/,
      15_000,
    );
    worker.kill();
    expect((await stack.run(runId))!.status).toBe(run.status);
  }

  // One run, finished; every secret got exactly one new version, tagged with it, on one working key.
  expect(run.status).toBe(c.compromised ? 'revoked' : 'done');
  const values = new Set<string>();
  for (const name of g.secrets) {
    const list = await versions(name);
    expect(list, name).toHaveLength(2);
    expect(list[1]!.tags?.RotationId).toBe(run.id);
    values.add((await stack.secrets().getSecret(name)).value!);
  }
  expect(values.size).toBe(1);
  const keys = stack.emulator.control.arm.cognitiveKeys(accountId(g.account));
  expect([keys.key1, keys.key2]).toContain([...values][0]);
  if (c.compromised) expect([keys.key1, keys.key2]).not.toContain(previousKey);
  else expect([keys.key1, keys.key2]).toContain(previousKey);
  const runs = [...(await stack.runs()).values()].filter((r) => r.group === run.group);
  expect(runs.map((r) => r.id)).toEqual([run.id]);
  expect(
    stack.emulator.control.arm.restarts().filter((r) => r.site === g.site).length,
  ).toBeGreaterThanOrEqual(1);
  expect(stack.invariants.violations()).toEqual([]);
  expect(worker.output()).not.toMatch(/GUARD:/);
  summary.push({ name: c.name, phaseAtCrash, resumedTo: run.status, ms: Date.now() - started });
}
