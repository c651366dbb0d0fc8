import { describe, expect, it } from 'vitest';
import { type ErrorDetail, isRotationError } from '../errors.js';
import { type LoadConfigOptions, loadConfig } from './index.js';

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg';
const OAI = `${SUB}/providers/Microsoft.CognitiveServices/accounts/oai-one`;
const SITE = `${SUB}/providers/Microsoft.Web/sites/app-one`;

/** A small valid config; each test breaks one thing. */
function base(): Record<string, unknown> {
  return {
    vaults: [{ name: 'kv-one' }],
    channels: { 'ops-teams': { type: 'teams', url: { secretRef: 'teams-url' } } },
    consumers: { 'app-one': { type: 'app-service', resourceId: SITE } },
    secrets: {
      'openai-key': {
        provider: 'azure-cognitive-services',
        settings: { resourceId: OAI },
        consumers: ['app-one'],
      },
      'groq-key': { provider: 'groq' },
    },
  };
}

function problems(config: unknown, options?: LoadConfigOptions): ErrorDetail[] {
  try {
    loadConfig(typeof config === 'string' ? config : (config as object), options);
  } catch (error) {
    if (isRotationError(error, 'ConfigInvalid')) return error.details;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

function only(config: unknown, options?: LoadConfigOptions): ErrorDetail {
  const details = problems(config, options);
  expect(details).toHaveLength(1);
  return details[0]!;
}

function secrets(config: Record<string, unknown>): Record<string, Record<string, unknown>> {
  return config.secrets as Record<string, Record<string, unknown>>;
}

describe('rotation.json mistakes', () => {
  it('accepts the base config', () => {
    expect(loadConfig(base()).groups.map((g) => g.id)).toEqual(['groq-key', 'openai-key']);
  });

  it('malformed JSON: line and column, no snippet of the text', () => {
    const text =
      '{\n  "vaults": [{ "name": "kv-one" }],\n  "secrets": { "x": { "provider": "groq", "settings": { "k": "s3cr3t-value" } }, }\n}';
    try {
      loadConfig(text);
      expect.unreachable();
    } catch (error) {
      expect(isRotationError(error, 'ConfigInvalid')).toBe(true);
      const message = (error as Error).message;
      expect(message).toMatch(/line 3, column \d+: trailing comma before "}"/);
      expect(message).not.toContain('s3cr3t');
    }
  });

  it('unknown top-level property suggests the right one', () => {
    const config = base();
    config.secret = config.secrets;
    delete config.secrets;
    expect(only(config)).toEqual({
      path: '$.secret',
      message: 'is not a known property (did you mean "secrets"?)',
    });
  });

  it('no vaults', () => {
    expect(only({ ...base(), vaults: [] })).toEqual({
      path: '$.vaults',
      message: 'must list at least one vault',
    });
    expect(only({ secrets: {} }).path).toBe('$.vaults');
  });

  it('invalid vault name', () => {
    const d = only({ ...base(), vaults: [{ name: 'kv_one!' }] });
    expect(d.path).toBe('$.vaults[0].name');
    expect(d.message).toContain('must be a Key Vault name');
  });

  it('vault url with a path', () => {
    const d = only({
      ...base(),
      vaults: [{ name: 'kv-one', url: 'https://kv-one.vault.azure.net/secrets' }],
    });
    expect(d).toEqual({
      path: '$.vaults[0].url',
      message: 'must be the vault origin, e.g. https://my-vault.vault.azure.net/ (no path)',
    });
  });

  it('vault url required against real Azure, but not locally', () => {
    expect(only(base(), { requireVaultUrls: true }).path).toBe('$.vaults[0].url');
    const local = loadConfig(base(), {
      requireVaultUrls: true,
      vaultUrls: { 'KV-ONE': 'https://127.0.0.1:4443' },
    });
    expect(local.vaults).toEqual([{ name: 'kv-one', url: 'https://127.0.0.1:4443' }]);
  });

  it('secret name that Key Vault would refuse', () => {
    const config = base();
    secrets(config).my_secret = { provider: 'groq' };
    expect(only(config)).toEqual({
      path: '$.secrets["my_secret"]',
      message: 'the name must be a Key Vault secret name: 1-127 letters, digits and hyphens',
    });
  });

  it('unknown provider', () => {
    const config = base();
    secrets(config)['groq-key']!.provider = 'openai';
    const d = only(config);
    expect(d.path).toBe('$.secrets["groq-key"].provider');
    expect(d.message).toMatch(/^must be one of "azure-cognitive-services", .*"mongodb", not "openai"$/);
  });

  it('validity shorter than 31 days explains the loop', () => {
    const config = base();
    secrets(config)['groq-key']!.validityDays = 30;
    expect(only(config)).toEqual({
      path: '$.secrets["groq-key"].validityDays',
      message:
        'must be at least 31: SecretNearExpiry fires 30 days before expiry; shorter validity would rotate in a loop',
    });
    expect(only({ ...base(), defaults: { validityDays: 7 } }).path).toBe('$.defaults.validityDays');
  });

  it('misspelt property suggests the right one', () => {
    const config = base();
    secrets(config)['groq-key']!.validtyDays = 60;
    expect(only(config)).toEqual({
      path: '$.secrets["groq-key"].validtyDays',
      message: 'is not a known property (did you mean "validityDays"?)',
    });
  });

  it('unknown consumer and channel names', () => {
    const config = base();
    secrets(config)['groq-key']!.consumers = ['app-one', 'app-onee'];
    secrets(config)['groq-key']!.channels = ['ops-slack'];
    expect(problems(config)).toEqual([
      {
        path: '$.secrets["groq-key"].consumers[1]',
        message: 'unknown consumer "app-onee"; configured consumers: "app-one" (did you mean "app-one"?)',
      },
      {
        path: '$.secrets["groq-key"].channels[0]',
        message: 'unknown channel "ops-slack"; configured channels: "ops-teams"',
      },
    ]);
  });

  it('vault missing when several vaults, and unknown vault', () => {
    const config: Record<string, unknown> = { ...base(), vaults: [{ name: 'kv-one' }, { name: 'kv-two' }] };
    secrets(config)['openai-key']!.vault = 'kv-one';
    secrets(config)['groq-key']!.vault = 'kv-three';
    const ops = config.channels as Record<string, Record<string, unknown>>;
    ops['ops-teams']!.url = { secretRef: 'teams-url', vault: 'kv-two' };
    expect(only(config)).toEqual({
      path: '$.secrets["groq-key"].vault',
      message: 'unknown vault "kv-three"; configured vaults: "kv-one", "kv-two"',
    });
    delete secrets(config)['groq-key']!.vault;
    expect(only(config)).toEqual({
      path: '$.secrets["groq-key"].vault',
      message: 'is required when several vaults are configured ("kv-one", "kv-two")',
    });
  });

  it('secretRef without vault when several vaults', () => {
    const config = { ...base(), vaults: [{ name: 'kv-one' }, { name: 'kv-two' }] };
    for (const s of Object.values(secrets(config))) s.vault = 'kv-one';
    expect(only(config)).toEqual({
      path: '$.channels["ops-teams"].url.vault',
      message: 'is required when several vaults are configured ("kv-one", "kv-two")',
    });
  });

  it('secret names differing only by case', () => {
    const config = base();
    secrets(config)['Groq-Key'] = { provider: 'groq' };
    expect(only(config)).toEqual({
      path: '$.secrets["Groq-Key"]',
      message: 'duplicates "groq-key": Key Vault secret names are case-insensitive',
    });
  });

  it('group mixing providers', () => {
    const config = base();
    secrets(config)['groq-key']!.group = 'llm';
    secrets(config)['deepseek-key'] = { provider: 'deepseek', group: 'llm' };
    expect(only(config)).toEqual({
      path: '$.secrets["deepseek-key"].provider',
      message: 'group "llm" mixes providers: "groq-key" uses groq, "deepseek-key" uses deepseek',
    });
  });

  it('group mixing provider resources', () => {
    const config = base();
    secrets(config)['openai-key']!.group = 'openai';
    secrets(config)['other-key'] = {
      provider: 'azure-cognitive-services',
      group: 'openai',
      settings: { resourceId: OAI.replace('oai-one', 'oai-two') },
    };
    expect(only(config)).toEqual({
      path: '$.secrets["other-key"].settings.resourceId',
      message:
        'group "openai" mixes provider resources: "openai-key" and "other-key" name different resources',
    });
  });

  it('two groups holding the same resource', () => {
    const config = base();
    secrets(config)['openai-key']!.group = 'a';
    secrets(config)['other-key'] = {
      provider: 'azure-cognitive-services',
      group: 'b',
      settings: { resourceId: OAI },
    };
    const d = only(config);
    expect(d.path).toBe('$.secrets["other-key"].group');
    expect(d.message).toContain('groups "a" and "b" hold keys of the same resource');
  });

  it('resource id missing or of the wrong type for an ARM provider', () => {
    const config = base();
    secrets(config)['openai-key']!.settings = {};
    expect(only(config)).toEqual({
      path: '$.secrets["openai-key"].settings.resourceId',
      message:
        'is required for azure-cognitive-services: the ARM id of a Microsoft.CognitiveServices/accounts resource',
    });
    secrets(config)['openai-key']!.settings = { resourceId: SITE };
    expect(only(config).message).toBe(
      'must be the ARM id of a Microsoft.CognitiveServices/accounts resource for provider azure-cognitive-services',
    );
  });

  it('multi-part group: duplicate and missing parts', () => {
    const config = base();
    secrets(config)['rp-id'] = { provider: 'razorpay', group: 'razorpay', part: 'keyId' };
    secrets(config)['rp-secret'] = { provider: 'razorpay', group: 'razorpay', part: 'keyId' };
    secrets(config)['rp-extra'] = { provider: 'razorpay', group: 'razorpay' };
    expect(problems(config)).toEqual([
      {
        path: '$.secrets["rp-extra"].part',
        message: 'is required: other secrets of group "razorpay" name their part ("keyId", "keyId")',
      },
      {
        path: '$.secrets["rp-secret"].part',
        message: 'part "keyId" is already held by "rp-id" in group "razorpay"',
      },
    ]);
  });

  it('secrets of one group disagreeing on a setting', () => {
    const acs = `${SUB}/providers/Microsoft.Communication/communicationServices/acs-one`;
    const config = base();
    secrets(config)['acs-key'] = {
      provider: 'azure-communication',
      settings: { resourceId: acs, holds: 'key' },
    };
    secrets(config)['acs-connection'] = {
      provider: 'azure-communication',
      settings: { resourceId: acs, holds: 'connectionString' },
    };
    expect(only(config)).toEqual({
      path: '$.secrets["acs-key"].settings.holds',
      message:
        'differs from "acs-connection" in the same credential group "acs-connection"; a group rotates with one set of settings',
    });
  });

  it('unknown channel type', () => {
    const d = only({ ...base(), channels: { pager: { type: 'pagerduty', url: 'https://example.com/x' } } });
    expect(d).toEqual({
      path: '$.channels["pager"].type',
      message: 'must be one of "teams", "slack", "webhook", "eventgrid", not "pagerduty"',
    });
  });

  it('plain http URL to another machine, without echoing it', () => {
    const d = only({
      ...base(),
      channels: {
        hook: {
          type: 'webhook',
          url: 'http://hooks.example.com/T0K3N',
          signingKey: { secretRef: 'hook-key' },
        },
      },
    });
    expect(d).toEqual({
      path: '$.channels["hook"].url',
      message: 'must be an https:// URL (http:// is allowed only for localhost)',
    });
  });

  it('app-service consumer with a non-site resource id', () => {
    const d = only({ ...base(), consumers: { 'app-one': { type: 'app-service', resourceId: OAI } } });
    expect(d.path).toBe('$.consumers["app-one"].resourceId');
    expect(d.message).toContain('must be the ARM id of a site');
  });

  it('webhook consumer without its signing key; bad secretRef name', () => {
    expect(
      only({ ...base(), consumers: { 'app-one': { type: 'webhook', url: 'https://x.example.com' } } }),
    ).toEqual({ path: '$.consumers["app-one"].signingKey', message: 'is required' });
    const d = only({
      ...base(),
      consumers: {
        'app-one': { type: 'webhook', url: 'https://x.example.com', signingKey: { secretRef: 'bad name' } },
      },
    });
    expect(d).toEqual({
      path: '$.consumers["app-one"].signingKey.secretRef',
      message: 'must be a Key Vault secret name: 1-127 letters, digits and hyphens',
    });
  });

  it('a setting of the wrong type', () => {
    const d = only({ ...base(), channels: { t: { type: 'teams', url: 42 } } });
    expect(d).toEqual({
      path: '$.channels["t"].url',
      message: 'must be a string or { "secretRef": "<secret name>" }',
    });
  });

  it('owners must be email addresses; duplicated reminder days', () => {
    const config = { ...base(), reminders: [30, 7, 7] };
    secrets(config)['groq-key']!.owners = ['ops team'];
    expect(problems(config)).toEqual([
      { path: '$.secrets["groq-key"].owners[0]', message: 'must be an email address' },
      { path: '$.reminders', message: 'lists the same day twice' },
    ]);
  });

  it('spacing longer than the validity', () => {
    const config = base();
    secrets(config)['groq-key']!.minIntervalHours = 24 * 40;
    secrets(config)['groq-key']!.validityDays = 31;
    expect(only(config)).toEqual({
      path: '$.secrets["groq-key"].minIntervalHours',
      message: 'minIntervalHours (960) must be shorter than the validity (31 days)',
    });
  });

  it('a missing file', () => {
    const d = only('/nonexistent/rotation.json');
    expect(d).toEqual({
      path: '$',
      message: 'cannot read "/nonexistent/rotation.json": the file does not exist',
    });
  });

  it('lists every problem at once, in the message too', () => {
    const config = { ...base(), vaults: [{ name: 'x' }], reminders: 'weekly' };
    secrets(config)['groq-key']!.validityDays = 10;
    secrets(config)['openai-key']!.consumers = ['nobody'];
    try {
      loadConfig(config);
      expect.unreachable();
    } catch (error) {
      expect(isRotationError(error, 'ConfigInvalid')).toBe(true);
      const e = error as Error & { details: ErrorDetail[] };
      expect(e.details.map((d) => d.path)).toEqual([
        '$.vaults[0].name',
        '$.secrets["groq-key"].validityDays',
        '$.reminders',
        '$.secrets["openai-key"].consumers[0]',
      ]);
      expect(e.message).toMatch(/^the rotation config has 4 problems:\n/);
      for (const d of e.details) expect(e.message).toContain(`${d.path}: ${d.message}`);
    }
  });
});
