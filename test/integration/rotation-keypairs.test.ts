/**
 * Issue 5 through the local host: Key Vault events rotate the Azure key-pair providers (Azure OpenAI and
 * Speech via Cognitive Services, Email via Communication Services) against the emulator's ARM and data
 * planes, checked with the real management SDKs. Every secret of a group holds the key its `CredentialId`
 * names; the key served before a rotation keeps working until the next one regenerates it. Failures
 * (validation never succeeds, ARM 429/5xx storms, unknown resource, 403) change no Key Vault version.
 */
import { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';
import { CommunicationServiceManagementClient } from '@azure/arm-communication';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorRequest, localCredential } from '../../local/emulator/testing.js';
import { FINAL_STATUSES } from '../../rotation/engine/index.js';
import { readTag } from '../../rotation/kinds.js';
import type { RunRecord } from '../../rotation/ports.js';
import {
  accountId,
  acsId,
  keyVaultEvent,
  RG,
  type RotationStack,
  SUB,
  startRotationStack,
  VAULT,
  versionsOf,
} from './rotation-stack.js';

const GPT4 = accountId('oai-gpt4-eastus');
const TTS = accountId('speech-tts-centralindia');
const MINI = accountId('oai-4o-mini-swedencentral');
const GPT35 = accountId('oai-gpt35-westeurope');
const VOICE = accountId('speech-voice-eastus');
const EMAIL = acsId('acs-email-prod');

const cognitive = (name: string, kind: string) =>
  ({ type: 'Microsoft.CognitiveServices/accounts', resourceGroup: RG, name, kind }) as const;

const secret = (resourceId: string, extra: object = {}) => ({
  provider: resourceId.includes('Communication') ? 'azure-communication' : 'azure-cognitive-services',
  settings: { resourceId, ...extra },
  owners: ['ai-platform@example.com'],
});

const config = {
  vaults: [{ name: VAULT }],
  secrets: {
    'azure-openai-gpt4-turbo-key': secret(GPT4),
    'azure-openai-gpt4-key': secret(GPT4),
    'azure-tts-subscription-key': secret(TTS),
    'azure-email-access-key': secret(EMAIL, { holds: 'connectionString' }),
    'azure-openai-4o-mini-key': secret(MINI),
    'azure-openai-4o-mini-realtime-key': secret(MINI),
    'azure-openai-gpt35-turbo-key': secret(GPT35),
    'azure-tts-voice-subscription-key': secret(VOICE),
    'azure-openai-missing-key': secret(accountId('oai-does-not-exist')),
  },
};

let stack: RotationStack;
let cognitiveArm: CognitiveServicesManagementClient;
let communicationArm: CommunicationServiceManagementClient;
const endpoints = new Map<string, string>();

beforeAll(async () => {
  stack = await startRotationStack({
    config,
    resources: [
      cognitive('oai-gpt4-eastus', 'OpenAI'),
      cognitive('speech-tts-centralindia', 'SpeechServices'),
      cognitive('oai-4o-mini-swedencentral', 'OpenAI'),
      cognitive('oai-gpt35-westeurope', 'OpenAI'),
      { ...cognitive('speech-voice-eastus', 'SpeechServices'), forbidden: ['regenerateKey'] },
      { type: 'Microsoft.Communication/communicationServices', resourceGroup: RG, name: 'acs-email-prod' },
    ],
  });
  for (const resource of stack.emulator.control.resources())
    endpoints.set(resource.id.toLowerCase(), resource.endpoint);
  const armOptions = {
    endpoint: stack.emulator.armEndpoint,
    tlsOptions: { ca: stack.emulator.caCert },
    retryOptions: { maxRetries: 0 },
  };
  cognitiveArm = new CognitiveServicesManagementClient(localCredential, SUB, armOptions);
  communicationArm = new CommunicationServiceManagementClient(localCredential, SUB, armOptions);
  // Seed every secret with the key Key Vault would serve today: key1 / Primary.
  const client = stack.secrets();
  for (const [name, entry] of Object.entries(config.secrets)) {
    const id = entry.settings.resourceId;
    if (id.includes('does-not-exist')) {
      await client.setSecret(name, 'f'.repeat(32), { tags: { CredentialId: 'key1' } });
    } else if (id === EMAIL) {
      const keys = stack.emulator.control.arm.communicationKeys(EMAIL);
      await client.setSecret(name, keys.primaryConnectionString, { tags: { CredentialId: 'Primary' } });
    } else {
      await client.setSecret(name, stack.emulator.control.arm.cognitiveKeys(id).key1, {
        tags: { CredentialId: 'key1' },
      });
    }
  }
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

async function current(name: string) {
  const s = await stack.secrets().getSecret(name);
  return { name, version: s.properties.version!, value: s.value!, tags: s.properties.tags ?? {} };
}

/** Delivers SecretNearExpiry for the secret's current version and waits for the group's run. */
async function rotate(name: string, until?: (run: RunRecord) => boolean) {
  const now = await current(name);
  const group = (await stack.app.engine.catalog.resolveSecret(VAULT, name))!.group;
  expect(await stack.deliver([keyVaultEvent('SecretNearExpiry', now)])).toBe(202);
  return stack.waitForRun(stack.runId(group, now.version), until);
}

/** A real data-plane call with the key, as a client would make it. */
async function works(resourceId: string, key: string): Promise<boolean> {
  const endpoint = endpoints.get(resourceId.toLowerCase())!;
  const openAi = resourceId.includes('/oai-');
  const url = openAi ? `${endpoint}openai/models?api-version=2024-10-21` : `${endpoint}sts/v1.0/issueToken`;
  const response = await emulatorRequest(url, stack.emulator.caCert, {
    method: openAi ? 'GET' : 'POST',
    headers: openAi ? { 'api-key': key } : { 'ocp-apim-subscription-key': key, 'content-length': '0' },
  });
  if (response.status !== 200 && response.status !== 401)
    throw new Error(`data plane said ${response.status}`);
  return response.status === 200;
}

async function cognitiveKeys(resourceId: string) {
  const name = resourceId.split('/').pop()!;
  const { key1, key2 } = await cognitiveArm.accounts.listKeys(RG, name);
  return { key1: key1!, key2: key2! };
}

async function versionCounts(names: string[]) {
  return Promise.all(names.map(async (n) => (await versionsOf(stack.secrets(), n)).length));
}

describe('Cognitive Services (Azure OpenAI): a group of two secrets', () => {
  const names = ['azure-openai-gpt4-turbo-key', 'azure-openai-gpt4-key'];

  it('every secret of the group gets the inactive key, named by its CredentialId; the old key still works', async () => {
    const before = await current(names[0]!);
    const run = await rotate(names[0]!);
    expect(run).toMatchObject({ status: 'done', group: 'azure-openai-gpt4-key', credentialId: 'key2' });
    expect(run.secrets.sort()).toEqual([...names].sort());
    const keys = await cognitiveKeys(GPT4);
    for (const name of names) {
      const now = await current(name);
      const credentialId = readTag(now.tags, 'CredentialId') as 'key1' | 'key2';
      expect(credentialId).toBe('key2');
      expect(now.value).toBe(keys[credentialId]);
      expect(now.tags).toMatchObject({
        RotatedBy: 'key-vault-rotator',
        RotationId: run.id,
        Provider: 'azure-cognitive-services',
        ProviderAddress: GPT4,
      });
      expect(await versionsOf(stack.secrets(), name)).toHaveLength(2);
    }
    expect(keys.key1).toBe(before.value);
    expect(await works(GPT4, before.value)).toBe(true);
    expect(await works(GPT4, keys.key2)).toBe(true);
  });

  it('the second rotation regenerates the first key: it stops working, the served one does not', async () => {
    const original = (await versionsOf(stack.secrets(), names[0]!))[0]!;
    const originalValue = (await stack.secrets().getSecret(names[0]!, { version: original.version! })).value!;
    stack.emulator.control.advanceClock({ hours: 25 }); // past minIntervalHours (24)
    const run = await rotate(names[1]!);
    expect(run).toMatchObject({ status: 'done', previousCredentialId: 'key2', credentialId: 'key1' });
    const keys = await cognitiveKeys(GPT4);
    for (const name of names) expect((await current(name)).value).toBe(keys.key1);
    expect(keys.key1).not.toBe(originalValue);
    expect(await works(GPT4, originalValue)).toBe(false);
    expect(await works(GPT4, keys.key1)).toBe(true);
    expect(await works(GPT4, keys.key2)).toBe(true);
  });
});

describe('Speech and Communication Services', () => {
  it('rotates azure-tts-subscription-key by alternation, validated with a token call', async () => {
    const before = await current('azure-tts-subscription-key');
    const run = await rotate('azure-tts-subscription-key');
    expect(run).toMatchObject({ status: 'done', credentialId: 'key2' });
    const keys = await cognitiveKeys(TTS);
    expect((await current('azure-tts-subscription-key')).value).toBe(keys.key2);
    expect(await works(TTS, before.value)).toBe(true);
  });

  it('rotates azure-email-access-key: the Secondary connection string, the Primary key still valid', async () => {
    const before = stack.emulator.control.arm.communicationKeys(EMAIL);
    const run = await rotate('azure-email-access-key');
    expect(run).toMatchObject({ status: 'done', credentialId: 'Secondary' });
    const keys = await communicationArm.communicationServices.listKeys(RG, 'acs-email-prod');
    const now = await current('azure-email-access-key');
    expect(readTag(now.tags, 'CredentialId')).toBe('Secondary');
    expect(now.value).toBe(keys.secondaryConnectionString);
    expect(keys.primaryKey).toBe(before.primaryKey);
    expect(stack.emulator.control.dataPlanes.isValid('azure-communication', EMAIL, before.primaryKey)).toBe(
      true,
    );
  });
});

describe('failures leave Key Vault as it was', () => {
  it('validation never succeeds → no new version in the group, run failed at validated, served key valid', async () => {
    const names = ['azure-openai-4o-mini-key', 'azure-openai-4o-mini-realtime-key'];
    const served = await current(names[0]!);
    const fault = stack.emulator.control.addFault({
      origin: 'data',
      pathRegex: '^/cs/oai-4o-mini-swedencentral/',
      fault: { kind: 'error', status: 503 },
    });
    let run: Awaited<ReturnType<typeof rotate>>;
    try {
      run = await rotate(names[0]!);
    } finally {
      stack.emulator.control.removeFault(fault.id);
    }
    expect(run).toMatchObject({ status: 'failed', error: { code: 'ValidationTimeout', phase: 'validated' } });
    expect(run.newVersions).toEqual({});
    expect(await versionCounts(names)).toEqual([1, 1]);
    expect(await works(MINI, served.value)).toBe(true);
    expect((await cognitiveKeys(MINI)).key1).toBe(served.value);
  });

  it('an ARM 429/5xx storm fails the run without a new version; a short one is ridden out on retry', async () => {
    const name = 'azure-openai-gpt35-turbo-key';
    const keysBefore = await cognitiveKeys(GPT35);
    const storm = stack.emulator.control.addFault({
      origin: 'arm',
      pathRegex: 'oai-gpt35-westeurope/regenerateKey',
      fault: { kind: 'throttle', retryAfterSeconds: 0, retryAfterMs: 1 },
    });
    let failed: Awaited<ReturnType<typeof rotate>>;
    try {
      failed = await rotate(name);
    } finally {
      stack.emulator.control.removeFault(storm.id);
    }
    expect(failed.status).toBe('failed');
    expect(['ProviderUnavailable', 'AzureUnavailable']).toContain(failed.error?.code);
    expect(await versionCounts([name])).toEqual([1]);
    expect(await cognitiveKeys(GPT35)).toEqual(keysBefore);

    // A short burst of 5xx is retried by the SDK; the failed run is retried after its cool-down.
    stack.emulator.control.addFault({
      origin: 'arm',
      pathRegex: 'oai-gpt35-westeurope/regenerateKey',
      fault: { kind: 'error', status: 503 },
      times: 2,
    });
    stack.emulator.control.advanceClock({ minutes: 61 }); // RETRY_FAILED_AFTER_MINUTES (60)
    const retried = await rotate(name, (run) => run.attempt === 2 && FINAL_STATUSES.has(run.status));
    expect(retried).toMatchObject({ id: failed.id, status: 'done', attempt: 2, credentialId: 'key2' });
    expect((await current(name)).value).toBe((await cognitiveKeys(GPT35)).key2);
  });

  it('an unknown resource (404) and a forbidden one (403) fail the run and change nothing', async () => {
    const missing = await rotate('azure-openai-missing-key');
    expect(missing).toMatchObject({ status: 'failed', error: { code: 'ResourceNotFound' } });
    const voiceKeys = await cognitiveKeys(VOICE);
    const forbidden = await rotate('azure-tts-voice-subscription-key');
    expect(forbidden).toMatchObject({ status: 'failed', error: { code: 'PermissionDenied' } });
    expect(forbidden.error?.message).toContain('Cognitive Services Contributor');
    expect(await versionCounts(['azure-openai-missing-key', 'azure-tts-voice-subscription-key'])).toEqual([
      1, 1,
    ]);
    expect(await cognitiveKeys(VOICE)).toEqual(voiceKeys);
  });
});

describe('secrecy', () => {
  it('no log line holds a key or a connection string', async () => {
    const text = stack.logLines.join('\n');
    const values = [
      ...Object.values(await cognitiveKeys(GPT4)),
      ...Object.values(await cognitiveKeys(TTS)),
      ...Object.values(stack.emulator.control.arm.communicationKeys(EMAIL)),
    ];
    for (const value of values) expect(text).not.toContain(value);
  });
});
