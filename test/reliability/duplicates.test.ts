/**
 * Issue 10, duplicate and racing triggers: one SecretNearExpiry event delivered 100 times over parallel
 * requests — half in the Event Grid schema, half as CloudEvents — while an on-call HTTP rotate and the
 * daily sweep race them, and the worker runs throughout. Everything maps to one run identity: one run in
 * the journal, one new version per secret, one restart, the invariant intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepApp } from '../../functions/dailySweep.js';
import {
  accountId,
  asCloudEvent,
  keyVaultEvent,
  type ReliabilityStack,
  RG,
  siteId,
  startReliabilityStack,
  VAULT,
} from './support/stack.js';

const DELIVERIES = 100;
const ACCOUNT = accountId('oai-dup');
const SECRETS = ['dup-openai-key', 'dup-openai-key-batch'];
let stack: ReliabilityStack;

beforeAll(async () => {
  stack = await startReliabilityStack({
    resources: [
      { type: 'Microsoft.CognitiveServices/accounts', resourceGroup: RG, name: 'oai-dup' },
      { type: 'Microsoft.Web/sites', resourceGroup: RG, name: 'site-dup' },
    ],
    config: {
      vaults: [{ name: VAULT }],
      consumers: { 'site-dup': { type: 'app-service', resourceId: siteId('site-dup') } },
      secrets: Object.fromEntries(
        SECRETS.map((name) => [
          name,
          {
            provider: 'azure-cognitive-services',
            settings: { resourceId: ACCOUNT },
            consumers: ['site-dup'],
          },
        ]),
      ),
    },
    settings: { HTTP_WAIT_SECONDS: '0' },
  });
  const { key1 } = stack.emulator.control.arm.cognitiveKeys(ACCOUNT);
  const expiresOn = new Date(stack.emulator.clock.now().getTime() + 10 * 86_400_000); // due: the sweep wants it
  for (const name of SECRETS) {
    await stack.secrets().setSecret(name, key1, { tags: { CredentialId: 'key1' }, expiresOn });
  }
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

async function versionCount(name: string): Promise<number> {
  let n = 0;
  for await (const _ of stack.secrets().listPropertiesOfSecretVersions(name)) n += 1;
  return n;
}

describe('duplicate and racing triggers', () => {
  it('100 deliveries of one event (both schemas), an HTTP rotate and a sweep make one run and one version', async () => {
    const current = await stack.secrets().getSecret(SECRETS[0]!);
    const event = keyVaultEvent('SecretNearExpiry', {
      name: SECRETS[0]!,
      version: current.properties.version!,
      expiresOn: current.properties.expiresOn,
    });
    const deliveries = Array.from({ length: DELIVERIES }, (_, i) =>
      i % 2 === 0 ? stack.deliver([event]) : stack.deliver(asCloudEvent(event), { cloudEvents: true }),
    );
    const http = stack.api(`/api/secrets/${SECRETS[1]}/rotate`, { body: { reason: 'duplicate storm' } });
    const sweep = sweepApp(stack.app, 'timer');
    const [answers, rotate, swept] = await Promise.all([Promise.all(deliveries), http, sweep]);

    expect(answers.map((a) => a.status).filter((s) => s < 200 || s > 299)).toEqual([]);
    expect([200, 202, 409], rotate.text).toContain(rotate.status);
    expect(swept.heartbeat.outcome).not.toBe('failed');
    // The sweep did consider the secret due, and mapped it to the run the events had made.
    const due = swept.heartbeat.steps.find((step) => step.name === 'queue-due');
    expect(due?.counts.due).toBe(1);

    const group = stack.app.config.findSecret(VAULT, SECRETS[0]!)!.group;
    const runId = stack.runId(group, current.properties.version!);
    const run = await stack.waitForRun(runId, (r) => r.status === 'done', 30_000);
    // Late duplicates still in the queue are reported, never executed again.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const runs = [...(await stack.runs()).values()].filter((r) => r.group === group);
    expect(runs.map((r) => r.id)).toEqual([run.id]);
    expect(await Promise.all(SECRETS.map(versionCount))).toEqual([2, 2]);
    expect(run.attempt).toBe(1);
    expect(stack.emulator.control.arm.restarts().filter((r) => r.site === 'site-dup')).toHaveLength(1);
    expect(stack.invariants.violations()).toEqual([]);
    console.log(
      `\nDuplicates: ${DELIVERIES} deliveries of one event (${DELIVERIES / 2} Event Grid, ${DELIVERIES / 2} CloudEvents) ` +
        `+ 1 HTTP rotate (${rotate.status}) + 1 sweep → runs: ${runs.length}, new versions per secret: 1, ` +
        `restarts: 1, invariant violations: ${stack.invariants.violations().length}`,
    );
  }, 60_000);
});
