/**
 * Ops features on the real stack (Azurite, the emulator, the composition root, the local host's worker):
 * the daily sweep catches a due secret whose event never came and writes its heartbeat to table storage;
 * the inventory shows the result; `rotator doctor` finds a missing Key Vault right and a missing ARM
 * right through the real SDK clients and names the role that fixes each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo, Output } from '../../cli/io.js';
import { runCli } from '../../cli/run.js';
import { sweepApp } from '../../functions/dailySweep.js';
import { collectInventory } from '../../rotation/reports/index.js';
import { accountId, RG, type RotationStack, startRotationStack, VAULT } from './rotation-stack.js';

const DUE = accountId('oai-due-eastus');
const FINE = accountId('oai-fine-westeurope');
const DAY = 86_400_000;

const config = {
  vaults: [{ name: VAULT }],
  secrets: {
    'openai-due-key': { provider: 'azure-cognitive-services', settings: { resourceId: DUE } },
    'openai-fine-key': { provider: 'azure-cognitive-services', settings: { resourceId: FINE } },
  },
};

let stack: RotationStack;

beforeAll(async () => {
  stack = await startRotationStack({
    config,
    resources: [
      {
        type: 'Microsoft.CognitiveServices/accounts',
        resourceGroup: RG,
        name: 'oai-due-eastus',
        kind: 'OpenAI',
      },
      {
        type: 'Microsoft.CognitiveServices/accounts',
        resourceGroup: RG,
        name: 'oai-fine-westeurope',
        kind: 'OpenAI',
      },
    ],
  });
  const now = stack.app.engine.clock.now().getTime();
  const client = stack.secrets();
  // No event subscription: the near-expiry event of openai-due-key is "dropped".
  await client.setSecret('openai-due-key', stack.emulator.control.arm.cognitiveKeys(DUE).key1, {
    tags: { CredentialId: 'key1' },
    expiresOn: new Date(now + 12 * DAY),
  });
  await client.setSecret('openai-fine-key', stack.emulator.control.arm.cognitiveKeys(FINE).key1, {
    tags: { CredentialId: 'key1' },
    expiresOn: new Date(now + 70 * DAY),
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

function capture(): Output & { text: string } {
  const out = {
    text: '',
    isTTY: false,
    columns: 160,
    write(chunk: string) {
      out.text += chunk;
    },
  };
  return out;
}

async function rotator(argv: string[]) {
  const stdout = capture();
  const stderr = capture();
  const io: CliIo = {
    stdout,
    stderr,
    env: {},
    cwd: process.cwd(),
    writeFile: async () => {},
    createApp: async () => stack.app,
    operator: 'ops-test',
  };
  return { code: await runCli(argv, io), out: stdout.text, err: stderr.text };
}

describe('daily sweep on the stack', () => {
  it('queues the due secret whose event was dropped, the worker rotates it, the heartbeat lands in storage', async () => {
    const result = await sweepApp(stack.app);
    expect(result.heartbeat.outcome).toBe('ok');
    expect(result.steps.find((s) => s.name === 'queue-due')?.counts).toMatchObject({ due: 1, queued: 1 });
    const due = (await stack.secrets().getSecret('openai-due-key')).properties.version!;
    const group = stack.app.config.findSecret(VAULT, 'openai-due-key')!.group;
    const run = await stack.waitForRun(stack.runId(group, due));
    expect(run).toMatchObject({ status: 'done', trigger: { kind: 'sweep' }, credentialId: 'key2' });

    const beat = await stack.app.heartbeat?.latest();
    expect(beat).toMatchObject({ id: result.heartbeat.id, outcome: 'ok', secrets: 2 });
    const scan = await collectInventory(
      { ...stack.app.engine, heartbeat: stack.app.heartbeat },
      stack.app.config,
    );
    expect(scan.report.lastSweepAt).toBe(beat?.finishedAt);
    expect(scan.report.rows.map((r) => [r.name, r.state, r.lastRun?.status ?? '-'])).toEqual([
      ['openai-fine-key', 'ok', '-'],
      ['openai-due-key', 'ok', 'done'],
    ]);
  }, 60_000);
});

describe('rotator doctor on the stack', () => {
  it('passes with every right in place, changing nothing', async () => {
    const state = () => ({ ...stack.emulator.control.state(), clock: undefined });
    const before = state();
    const { code, out } = await rotator(['doctor']);
    expect(out).toMatch(/✓ vault\s+kv-rotator-demo: set: allowed \(probed without writing\)/);
    expect(out).toMatch(/✓ provider\s+kv-rotator-demo\/.+: azure-cognitive-services: resource reachable/);
    expect(code).toBe(0);
    expect(state()).toEqual(before);
  });

  it('reports a missing Key Vault set right and a missing listKeys right, with the roles that fix them', async () => {
    const fault = stack.emulator.control.addFault({
      origin: VAULT,
      method: 'PATCH',
      path: '/secrets/**',
      fault: { kind: 'forbidden' },
    });
    stack.emulator.control.arm.setForbidden(FINE, ['listKeys']);
    try {
      const { code, out } = await rotator(['doctor']);
      expect(code).toBe(2);
      expect(out).toMatch(/✗ vault\s+kv-rotator-demo: set: PermissionDenied/);
      expect(out).toContain("fix: assign the identity 'Key Vault Secrets Officer' on vault kv-rotator-demo");
      expect(out).toMatch(/✗ provider\s+kv-rotator-demo\/.+: azure-cognitive-services: PermissionDenied/);
      expect(out).toContain(`fix: assign the identity 'Cognitive Services Contributor' on ${FINE}`);
      expect(out).toContain('2 problem(s)');
    } finally {
      stack.emulator.control.removeFault(fault.id);
      stack.emulator.control.arm.setForbidden(FINE, false);
    }
  });
});
