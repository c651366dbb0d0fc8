import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inferFromTags, loadConfig, rotationConfigSchema } from './index.js';
import { locateJsonError, parseJsonText } from './json.js';
import { renderSchema, SCHEMA_FILE } from './write-schema.js';

const SAMPLE = fileURLToPath(new URL('../../rotation.sample.json', import.meta.url));
const SUB = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-rotator-demo/providers';

describe('rotation.sample.json', () => {
  const config = loadConfig(SAMPLE);

  it('passes the published schema as a whole, too', () => {
    expect(rotationConfigSchema.safeParse(JSON.parse(readFileSync(SAMPLE, 'utf8'))).success).toBe(true);
  });

  it('resolves into the expected credential groups', () => {
    const groups = Object.fromEntries(config.groups.map((g) => [g.id, g.secrets.map((s) => s.name)]));
    expect(groups).toEqual({
      'azure-email-access-key': ['azure-email-access-key'],
      'azure-openai-4o-mini-key': ['azure-openai-4o-mini-key', 'azure-openai-4o-mini-realtime-key'],
      'azure-openai-gpt35-turbo-key': ['azure-openai-gpt35-turbo-key'],
      'azure-openai-gpt4-key': ['azure-openai-gpt4-key', 'azure-openai-gpt4-turbo-key'],
      'azure-tts-subscription-key': ['azure-tts-subscription-key'],
      'azure-tts-voice-subscription-key': ['azure-tts-voice-subscription-key'],
      'deepseek-api-key': ['deepseek-api-key'],
      'groq-api-key': ['groq-api-key'],
      'jwt-secret-key': ['jwt-secret-key'],
      'mongodb-connection-string': ['mongodb-connection-string'],
      'qwen-api-key': ['qwen-api-key'],
      razorpay: ['razorpay-api-key', 'razorpay-api-secret'],
      'recaptcha-secret-key': ['recaptcha-secret-key'],
      'together-ai-api-key': ['together-ai-api-key'],
    });
    expect(config.secrets).toHaveLength(17);
    expect(config.vaults).toEqual([{ name: 'kv-rotator-demo' }]);
    expect(config.defaultVault).toBe('kv-rotator-demo');
  });

  it('computes group-level values', () => {
    const mini = config.findGroup('KV-Rotator-Demo', 'Azure-OpenAI-4o-Mini-Key')!;
    expect(mini.provider).toBe('azure-cognitive-services');
    expect(mini.settings).toEqual({
      resourceId: `${SUB}/Microsoft.CognitiveServices/accounts/oai-4o-mini-swedencentral`,
    });
    expect(mini.consumers).toEqual([
      'llm-model-service',
      'response-3d-chatbot-service',
      'response-text-chatbot-service',
      'response-voice-chatbot-service',
    ]);
    expect(mini.channels).toEqual(['ops-slack', 'ops-teams']);
    expect(mini.secrets.every((s) => s.group === 'azure-openai-4o-mini-key')).toBe(true);
    const razorpay = config.findGroup('kv-rotator-demo', 'razorpay')!;
    expect(razorpay.secrets.map((s) => s.part)).toEqual(['keyId', 'keySecret']);
    expect(razorpay.validityDays).toBe(180);
    expect(razorpay.graceDays).toBe(7);
    expect(config.findSecret('kv-rotator-demo', 'JWT-SECRET-KEY')?.validityDays).toBe(60);
    expect(config.findSecret('kv-rotator-demo', 'azure-email-access-key')?.settings.holds).toBe(
      'connectionString',
    );
    expect(config.findSecret('other-vault', 'jwt-secret-key')).toBeUndefined();
  });

  it('gives every secretRef its vault and defaults channel events', () => {
    expect(config.consumers['ops-webhook']).toEqual({
      type: 'webhook',
      url: { secretRef: 'ops-webhook-url', vault: 'kv-rotator-demo' },
      signingKey: { secretRef: 'rotator-webhook-signing-key', vault: 'kv-rotator-demo' },
    });
    expect(config.consumers['user-service']).toMatchObject({ type: 'app-service', softRestart: true });
    expect(config.channels['ops-teams']).toMatchObject({
      url: { secretRef: 'ops-teams-webhook-url', vault: 'kv-rotator-demo' },
      events: expect.arrayContaining([
        'run-failed',
        'manual-action-required',
        'secret-expired',
        'poison-message',
      ]),
    });
    expect(config.reminders).toEqual([30, 14, 7, 3, 1]);
  });
});

describe('credential groups', () => {
  const oai = `${SUB}/Microsoft.CognitiveServices/accounts/oai-one`;

  it('a secret on a resource an explicit group holds joins that group', () => {
    const config = loadConfig({
      vaults: [{ name: 'kv-one' }],
      secrets: {
        b: {
          provider: 'azure-cognitive-services',
          group: 'OpenAI',
          settings: { resourceId: oai },
          validityDays: 60,
        },
        a: {
          provider: 'azure-cognitive-services',
          settings: { resourceId: oai.toUpperCase() },
          owners: ['X@example.com'],
        },
        c: { provider: 'jwt-secret', minIntervalHours: 48 },
      },
    });
    expect(config.groups.map((g) => [g.id, g.secrets.map((s) => s.name)])).toEqual([
      ['c', ['c']],
      ['openai', ['a', 'b']],
    ]);
    const group = config.findGroup('kv-one', 'openai')!;
    expect(group.validityDays).toBe(60);
    expect(group.owners).toEqual(['x@example.com']);
    expect(config.findGroup('kv-one', 'c')!.minIntervalHours).toBe(48);
    expect(config.findSecret('kv-one', 'A')!.group).toBe('openai');
  });

  it('secretRefs in provider settings default to the secret’s own vault', () => {
    const config = loadConfig({
      vaults: [{ name: 'kv-one' }, { name: 'kv-two' }],
      secrets: {
        m: { vault: 'KV-Two', provider: 'mongodb', settings: { admin: { secretRef: 'mongo-admin' } } },
      },
    });
    expect(config.findSecret('kv-two', 'm')!.settings.admin).toEqual({
      secretRef: 'mongo-admin',
      vault: 'kv-two',
    });
    expect(config.defaultVault).toBeUndefined();
  });
});

describe('Microsoft-tagged secrets', () => {
  const address = `${SUB}/Microsoft.CognitiveServices/accounts/speech-one`;

  it('infers a managed secret from the three tags, case-insensitively', () => {
    const secret = inferFromTags('KV-One', 'speech-key', {
      credentialid: 'key1',
      PROVIDERADDRESS: address,
      ValidityPeriodDays: '60',
    });
    expect(secret).toEqual({
      vault: 'kv-one',
      name: 'speech-key',
      provider: 'azure-cognitive-services',
      group: 'speech-key',
      settings: { resourceId: address },
      validityDays: 60,
      minIntervalHours: 24,
      graceDays: 7,
      consumers: [],
      channels: [],
      owners: [],
      source: 'tags',
    });
  });

  it('reads the provider from Communication addresses or the Provider tag; clamps validity', () => {
    const acs = `${SUB}/Microsoft.Communication/communicationServices/acs-one`;
    const tags = { CredentialId: 'Primary', ProviderAddress: acs, ValidityPeriodDays: '10' };
    expect(inferFromTags('kv', 'acs', tags)).toMatchObject({
      provider: 'azure-communication',
      validityDays: 31,
    });
    const other = `${SUB}/Microsoft.Storage/storageAccounts/st`;
    expect(inferFromTags('kv', 's', { ...tags, ProviderAddress: other })).toBeUndefined();
    expect(inferFromTags('kv', 's', { ...tags, ProviderAddress: other, Provider: 'groq' })?.provider).toBe(
      'groq',
    );
    expect(inferFromTags('kv', 's', { CredentialId: 'key1', ProviderAddress: address })).toBeUndefined();
    expect(inferFromTags('kv', 's', undefined)).toBeUndefined();
  });

  it('resolveSecret prefers the config, then tags, and ignores foreign vaults', () => {
    const config = loadConfig({
      vaults: [{ name: 'kv-one' }],
      channels: { ops: { type: 'slack', url: 'https://hooks.slack.com/services/x' } },
      defaults: { validityDays: 120 },
      secrets: { configured: { provider: 'groq' } },
    });
    const tags = { CredentialId: 'key2', ProviderAddress: address, ValidityPeriodDays: 'soon' };
    expect(config.resolveSecret('kv-one', 'Configured', tags)?.secret.source).toBe('config');
    const inferred = config.resolveSecret('KV-ONE', 'speech-key', tags)!;
    expect(inferred.secret).toMatchObject({ source: 'tags', validityDays: 120, channels: ['ops'] });
    expect(inferred.group).toMatchObject({
      id: 'speech-key',
      vault: 'kv-one',
      provider: 'azure-cognitive-services',
    });
    expect(config.resolveSecret('kv-two', 'speech-key', tags)).toBeUndefined();
    expect(config.resolveSecret('kv-one', 'plain')).toBeUndefined();
  });
});

describe('rotation.schema.json', () => {
  it('is generated from the current zod schema (run `npm run schema` when this fails)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(renderSchema());
  });
});

describe('JSON syntax errors', () => {
  it.each([
    ['{"a": 1,\n "b" 2}', 2, 6, 'expected ":" after the property name; unexpected character "2"'],
    ["{'a': 1}", 1, 2, 'expected a property name in double quotes; strings must use double quotes'],
    [
      '{\n  // note\n  "a": 1}',
      2,
      3,
      'expected a property name in double quotes; comments are not allowed in JSON',
    ],
    ['{"a": "open\n}', 1, 12, 'a string is not closed before the end of the line'],
    ['{"a": [1, 2,]}', 1, 13, 'trailing comma before "]"'],
    ['{"a": 1} x', 1, 10, 'unexpected content after the end of the JSON value; unexpected character "x"'],
    ['', 1, 1, 'expected a value; the file ends too early'],
  ])('%j', (text, line, column, message) => {
    expect(parseJsonText(text)).toEqual({ ok: false, problem: { line, column, message } });
  });

  it('parses valid JSON (with a byte-order mark)', () => {
    expect(parseJsonText('\ufeff{"a":[1,-2.5e3,true,null,"\\u0041"]}')).toEqual({
      ok: true,
      value: { a: [1, -2500, true, null, 'A'] },
    });
    expect(locateJsonError('{"a":1}')).toEqual({ offset: 0, message: 'invalid JSON' });
  });
});
