/**
 * Issue 6 through the local host: rotating `azure-openai-gpt4-turbo-key` (its group holds
 * `azure-openai-gpt4-key` too) restarts the App Services that consume it — through the real
 * `WebSiteManagementClient`, each once, and only after the new version exists — and delivers a signed
 * webhook whose signing key and URL come from Key Vault (`{ secretRef }`), verified as a receiver would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../../consumers/testing/receiver.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyRotatorSignature } from '../../consumers/webhook/index.js';
import {
  accountId,
  keyVaultEvent,
  RG,
  type RotationStack,
  randomValue,
  siteId,
  startRotationStack,
  VAULT,
  versionsOf,
} from './rotation-stack.js';

const GPT4 = accountId('oai-gpt4-eastus');
const SITES = ['response-text-chatbot-service', 'response-3d-chatbot-service', 'llm-model-service'];
const CONSUMERS = [...SITES, 'ops-webhook'];
const NAMES = ['azure-openai-gpt4-turbo-key', 'azure-openai-gpt4-key'];

const config = {
  vaults: [{ name: VAULT }],
  consumers: {
    ...Object.fromEntries(SITES.map((site) => [site, { type: 'app-service', resourceId: siteId(site) }])),
    'ops-webhook': {
      type: 'webhook',
      url: { secretRef: 'ops-webhook-url' },
      signingKey: { secretRef: 'rotator-webhook-signing-key' },
    },
  },
  secrets: Object.fromEntries(
    NAMES.map((name) => [
      name,
      { provider: 'azure-cognitive-services', settings: { resourceId: GPT4 }, consumers: CONSUMERS },
    ]),
  ),
};

let stack: RotationStack;
let receiver: Receiver;
const signingKey = randomValue();

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startRotationStack({
    config,
    resources: [
      {
        type: 'Microsoft.CognitiveServices/accounts',
        resourceGroup: RG,
        name: 'oai-gpt4-eastus',
        kind: 'OpenAI',
      },
      ...SITES.map((name) => ({ type: 'Microsoft.Web/sites' as const, resourceGroup: RG, name })),
    ],
  });
  const client = stack.secrets();
  await client.setSecret('ops-webhook-url', receiver.url('/hooks/rotation'));
  await client.setSecret('rotator-webhook-signing-key', signingKey);
  const { key1 } = stack.emulator.control.arm.cognitiveKeys(GPT4);
  for (const name of NAMES) await client.setSecret(name, key1, { tags: { CredentialId: 'key1' } });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

describe('propagation after a rotation', () => {
  it('restarts every consuming App Service once, after the new version was created, and signs the webhook', async () => {
    expect(stack.emulator.control.arm.restarts()).toEqual([]);
    const served = await stack.secrets().getSecret(NAMES[0]!);
    const version = served.properties.version!;
    expect(await stack.deliver([keyVaultEvent('SecretNearExpiry', { name: NAMES[0]!, version })])).toBe(202);
    const run = await stack.waitForRun(stack.runId('azure-openai-gpt4-key', version));

    expect(run.status).toBe('done');
    expect(run.consumers.map((c) => [c.name, c.status]).sort()).toEqual(
      CONSUMERS.map((name) => [name, 'ok']).sort(),
    );
    // Restarts: one per site (the two secrets share consumers), none before the new versions existed.
    const created = await Promise.all(
      NAMES.map(async (name) => (await versionsOf(stack.secrets(), name)).at(-1)!.createdOn!.getTime()),
    );
    const restarts = stack.emulator.control.arm.restarts();
    expect(restarts.map((r) => r.site).sort()).toEqual([...SITES].sort());
    for (const restart of restarts) {
      expect(restart.siteId.toLowerCase()).toBe(siteId(restart.site).toLowerCase());
      expect(Date.parse(restart.at)).toBeGreaterThanOrEqual(Math.max(...created));
    }
    const phases = Object.fromEntries(run.phases.map((p) => [p.phase, Date.parse(p.at)]));
    for (const restart of restarts) expect(Date.parse(restart.at)).toBeGreaterThanOrEqual(phases.promoted!);

    // The webhook: signed with the key from Key Vault, verified from the raw body as a receiver would.
    const [hook, ...more] = receiver.to('/hooks/rotation');
    expect(more).toEqual([]);
    const header = (name: string) => {
      const value = hook!.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    };
    const verdict = verifyRotatorSignature({
      rawBody: hook!.rawBody,
      timestamp: header(TIMESTAMP_HEADER),
      signature: header(SIGNATURE_HEADER),
      signingKey,
    });
    expect(verdict).toEqual({ ok: true });
    expect(
      verifyRotatorSignature({
        rawBody: hook!.rawBody,
        timestamp: header(TIMESTAMP_HEADER),
        signature: header(SIGNATURE_HEADER),
        signingKey: randomValue(),
      }),
    ).toEqual({ ok: false, reason: 'bad-signature' });
    expect(hook!.rawBody).toContain(run.id);
    const keys = stack.emulator.control.arm.cognitiveKeys(GPT4);
    for (const text of [hook!.rawBody, stack.logLines.join('\n')]) {
      expect(text).not.toContain(keys.key1);
      expect(text).not.toContain(keys.key2);
      expect(text).not.toContain(signingKey);
    }
  });
});
