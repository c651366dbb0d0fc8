/**
 * Issue 10, no leaks: a canary run through most of what the rotator does — event, HTTP and compromise
 * rotations of Azure key pairs, a Communication connection string, a JWT signing secret and a manual
 * provider (an invalid submission rejected, a valid one promoted), failures (validation down, ARM 403),
 * a failed restart re-propagated, a rollback, dry runs, reports in every format, the function key in
 * `?code=` — while every secret value that ever exists is collected: every Key Vault version, every ARM
 * key as it changes, every manual credential, the values submitted by hand, the webhook signing key and
 * URL token, the function key. Then all log lines, journal rows, reports, HTTP answers, alerts, consumer
 * notifications, request logs and queued messages are scanned for each value, raw, base64, base64url,
 * URL-encoded and JSON-escaped. Zero hits.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allKeyVaultValues, findLeaks, rotatorOutputs } from './support/leaks.js';
import {
  accountId,
  armId,
  keyVaultEvent,
  type ReliabilityStack,
  RG,
  randomValue,
  siteId,
  startReliabilityStack,
  VAULT,
} from './support/stack.js';

const OPENAI = accountId('oai-canary');
const FAILING = accountId('oai-canary-failing');
const FORBIDDEN = accountId('oai-canary-forbidden');
const ACS = armId('Microsoft.Communication/communicationServices', 'acs-canary');
const ACCOUNTS = [OPENAI, FAILING, FORBIDDEN];
const hookToken = randomValue(24);
const signingKey = randomValue(32);
const secretsSeen = new Set<string>();
let stack: ReliabilityStack;
let webhookPath = '';

const cognitive = (resourceId: string, consumers: string[] = []) => ({
  provider: 'azure-cognitive-services',
  settings: { resourceId },
  consumers,
});

/** Every ARM key and manual credential as they are now (called after every emulator request). */
function sampleProviders(): void {
  const control = stack.emulator.control;
  for (const id of ACCOUNTS) {
    const keys = control.arm.cognitiveKeys(id);
    secretsSeen.add(keys.key1);
    secretsSeen.add(keys.key2);
  }
  const acs = control.arm.communicationKeys(ACS);
  for (const value of Object.values(acs)) if (typeof value === 'string') secretsSeen.add(value);
  for (const credential of control.dataPlanes.credentials('groq')) {
    secretsSeen.add(credential.value);
  }
}

beforeAll(async () => {
  stack = await startReliabilityStack({
    resources: [
      { type: 'Microsoft.CognitiveServices/accounts', resourceGroup: RG, name: 'oai-canary' },
      { type: 'Microsoft.CognitiveServices/accounts', resourceGroup: RG, name: 'oai-canary-failing' },
      {
        type: 'Microsoft.CognitiveServices/accounts',
        resourceGroup: RG,
        name: 'oai-canary-forbidden',
        forbidden: ['regenerateKey'],
      },
      { type: 'Microsoft.Communication/communicationServices', resourceGroup: RG, name: 'acs-canary' },
      { type: 'Microsoft.Web/sites', resourceGroup: RG, name: 'site-canary' },
    ],
    config: {
      vaults: [{ name: VAULT }],
      consumers: {
        'site-canary': { type: 'app-service', resourceId: siteId('site-canary') },
        'hook-canary': {
          type: 'webhook',
          url: { secretRef: 'canary-webhook-url' },
          signingKey: { secretRef: 'canary-webhook-signing-key' },
        },
      },
      secrets: {
        'canary-openai-key': cognitive(OPENAI, ['site-canary', 'hook-canary']),
        'canary-openai-key-2': cognitive(OPENAI, ['site-canary', 'hook-canary']),
        'canary-failing-key': cognitive(FAILING),
        'canary-forbidden-key': cognitive(FORBIDDEN),
        'canary-email-connection': {
          provider: 'azure-communication',
          settings: { resourceId: ACS, holds: 'connectionString' },
          consumers: ['hook-canary'],
        },
        'canary-jwt-signing': { provider: 'jwt-secret' },
        'canary-groq-key': { provider: 'groq' },
      },
    },
    settings: { HTTP_WAIT_SECONDS: '10' },
  });
  stack.emulator.control.onRequestCompleted(() => sampleProviders());
  sampleProviders();
  webhookPath = `/hooks/canary`;
  secretsSeen.add(stack.functionKey);
  secretsSeen.add(hookToken);
  secretsSeen.add(signingKey);
  const client = stack.secrets();
  await client.setSecret('canary-webhook-url', `${stack.alerts.url(webhookPath)}?token=${hookToken}`);
  await client.setSecret('canary-webhook-signing-key', signingKey);
  for (const [name, id] of [
    ['canary-openai-key', OPENAI],
    ['canary-openai-key-2', OPENAI],
    ['canary-failing-key', FAILING],
    ['canary-forbidden-key', FORBIDDEN],
  ] as const) {
    await client.setSecret(name, stack.emulator.control.arm.cognitiveKeys(id).key1, {
      tags: { CredentialId: 'key1' },
    });
  }
  await client.setSecret(
    'canary-email-connection',
    stack.emulator.control.arm.communicationKeys(ACS).primaryConnectionString,
    {
      tags: { CredentialId: 'Primary' },
    },
  );
  await client.setSecret('canary-jwt-signing', randomBytes(64).toString('base64url'));
  await client.setSecret('canary-groq-key', stack.emulator.control.dataPlanes.mintCredential('groq').value);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('canary: no secret value anywhere it must not be', () => {
  it('runs the scenario, then finds none of the values in any output', async () => {
    const api = stack.api;
    const ok = (status: number, text: string, allowed: number[]) =>
      expect(allowed, text.slice(0, 300)).toContain(status);

    // 1. Event rotation of a key pair; the site restart fails (then re-propagated), the webhook is signed.
    const restartFault = stack.emulator.control.addFault({
      origin: 'arm',
      pathRegex: '/sites/site-canary/restart$',
      fault: { kind: 'error', status: 500 },
    });
    const current = await stack.secrets().getSecret('canary-openai-key');
    const event = keyVaultEvent('SecretNearExpiry', {
      name: 'canary-openai-key',
      version: current.properties.version!,
    });
    ok((await stack.deliver([event])).status, '', [202]);
    const group = stack.app.config.findSecret(VAULT, 'canary-openai-key')!.group;
    const first = await stack.waitForRun(stack.runId(group, current.properties.version!));
    expect(first.status).toBe('propagated-with-errors');
    stack.emulator.control.removeFault(restartFault.id);
    const repropagated = await api(`/api/runs/${first.id}/propagate`, { body: { reason: 'site is back' } });
    ok(repropagated.status, repropagated.text, [200, 202]);
    await stack.waitForRun(first.id, (r) => r.status === 'done');
    ok((await api(`/api/runs/${first.id}`)).status, '', [200]);

    // 2. Compromise of the Communication connection string (revokes the leaked key).
    const acs = await api('/api/secrets/canary-email-connection/rotate', {
      body: { reason: 'leaked in a ticket', compromised: true },
    });
    ok(acs.status, acs.text, [200, 202]);

    // 3. JWT signing secret over HTTP, and dry runs.
    ok(
      (await api('/api/secrets/canary-jwt-signing/rotate', { body: { reason: 'scheduled' } })).status,
      '',
      [200, 202],
    );
    ok(
      (await api('/api/secrets/canary-openai-key-2/rotate', { body: { reason: 'plan', dryRun: true } }))
        .status,
      '',
      [200],
    );
    ok(
      (await api('/api/rotations', { body: { reason: 'plan all', select: { all: true }, dryRun: true } }))
        .status,
      '',
      [200],
    );

    // 4. Manual provider: a task, a value the provider rejects, then a good one.
    const manual = await api('/api/secrets/canary-groq-key/rotate', { body: { reason: 'quarterly' } });
    ok(manual.status, manual.text, [200, 202]);
    const bad = `gsk_${randomBytes(26).toString('hex')}`;
    secretsSeen.add(bad);
    const rejected = await api('/api/secrets/canary-groq-key/versions', { body: { value: bad } });
    ok(rejected.status, rejected.text, [422]);
    const good = stack.emulator.control.dataPlanes.mintCredential('groq').value;
    secretsSeen.add(good);
    const accepted = await api('/api/secrets/canary-groq-key/versions', { body: { value: good } });
    ok(accepted.status, accepted.text, [201]);

    // 5. Failures: validation down, regeneration forbidden.
    stack.emulator.control.addFault({
      origin: 'data',
      pathRegex: '^/cs/oai-canary-failing/',
      fault: { kind: 'error', status: 500 },
    });
    const failing = await api('/api/secrets/canary-failing-key/rotate', { body: { reason: 'drill' } });
    ok(failing.status, failing.text, [202, 503]);
    const forbidden = await api('/api/secrets/canary-forbidden-key/rotate', { body: { reason: 'drill' } });
    ok(forbidden.status, forbidden.text, [202, 500]); // our own permissions: a 500 that says which role is missing
    stack.emulator.control.clearFaults();

    // 6. Rollback of the key pair, reports in every format, the key in ?code=.
    const rollback = await api('/api/secrets/canary-openai-key/rollback', {
      body: { reason: 'consumer broke' },
    });
    ok(rollback.status, rollback.text, [200, 202]);
    for (const report of ['inventory', 'history']) {
      for (const format of ['json', 'csv', 'html']) {
        ok((await api(`/api/reports/${report}?format=${format}`)).status, '', [200]);
      }
    }
    const byQuery = await api(`/api/reports/inventory?code=${encodeURIComponent(stack.functionKey)}`, {
      key: false,
    });
    ok(byQuery.status, byQuery.text, [200]);
    await new Promise((resolve) => setTimeout(resolve, 500)); // late logs of the worker

    // Collect every value, then scan every output.
    for (const value of await allKeyVaultValues(stack)) secretsSeen.add(value);
    sampleProviders();
    const values = [...secretsSeen].filter((v) => v.length >= 12);
    const outputs = await rotatorOutputs(stack);
    const hits = findLeaks(outputs, values);
    // The scanner itself: a value planted raw, in base64 and URL-encoded is found each time.
    const planted = values.find((v) => /[^A-Za-z0-9_-]/.test(v)) ?? values[0]!;
    const control = findLeaks(
      {
        control: [
          `x ${planted} y`,
          `auth: ${Buffer.from(planted).toString('base64')}`,
          `url?k=${encodeURIComponent(planted)}`,
        ],
      },
      values,
    );
    expect(control.length).toBeGreaterThanOrEqual(3);
    const scanned = Object.values(outputs).reduce((n, lines) => n + lines.length, 0);
    console.log(
      `\nCanary: ${values.length} secret values (raw, base64, base64url, URL-encoded, JSON-escaped) scanned in ${scanned} ` +
        `outputs (${Object.entries(outputs)
          .map(([k, v]) => `${v.length} ${k}`)
          .join(', ')}) → ${hits.length} hits; ` +
        `invariant violations: ${stack.invariants.violations().length}`,
    );
    expect(hits).toEqual([]);
    expect(values.length).toBeGreaterThan(20);
    expect(stack.alerts.to(webhookPath).length).toBeGreaterThan(0);
    expect(stack.invariants.violations()).toEqual([]);
  }, 120_000);
});
