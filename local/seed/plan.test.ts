import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../rotation/config/index.js';
import { cognitiveKind, LAST_EXPIRY_DAYS, parseArmId, planSeed } from './plan.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const sample = loadConfig(new URL('../../rotation.sample.json', import.meta.url).pathname);

describe('planSeed over rotation.sample.json', () => {
  const plan = planSeed(sample);

  it('declares every key-pair resource with the right kind, and every consumer site', () => {
    const byName = new Map(plan.resources.map((r) => [r.name, r]));
    expect(byName.get('oai-gpt4-eastus')).toMatchObject({
      type: 'Microsoft.CognitiveServices/accounts',
      kind: 'OpenAI',
      subscriptionId: SUB,
      resourceGroup: 'rg-rotator-demo',
    });
    expect(byName.get('speech-tts-centralindia')).toMatchObject({ kind: 'SpeechServices' });
    expect(byName.get('speech-voice-eastus')).toMatchObject({ kind: 'SpeechServices' });
    expect(byName.get('acs-email-prod')).toMatchObject({
      type: 'Microsoft.Communication/communicationServices',
    });
    const sites = plan.resources.filter((r) => r.type === 'Microsoft.Web/sites').map((r) => r.name);
    expect(sites.sort()).toEqual(
      Object.entries(sample.consumers)
        .filter(([, c]) => c.type === 'app-service')
        .map(([name]) => name)
        .sort(),
    );
    // Two secrets share oai-gpt4-eastus: declared once.
    expect(plan.resources.filter((r) => r.name === 'oai-gpt4-eastus')).toHaveLength(1);
    expect(plan.warnings).toEqual([]);
  });

  it('plans every configured secret with the same expiry per group, spread over 90 days', () => {
    expect(plan.secrets.map((p) => p.secret.name).sort()).toEqual(sample.secrets.map((s) => s.name).sort());
    const byGroup = new Map<string, Set<number>>();
    for (const p of plan.secrets) {
      const set = byGroup.get(p.secret.group) ?? new Set();
      set.add(p.expiresInDays);
      byGroup.set(p.secret.group, set);
      expect(p.expiresInDays).toBeGreaterThan(0);
      expect(p.expiresInDays).toBeLessThanOrEqual(LAST_EXPIRY_DAYS);
      expect(p.expiresInDays).toBeLessThan(p.secret.validityDays);
    }
    for (const days of byGroup.values()) expect(days.size).toBe(1);
    const due = plan.secrets.filter((p) => p.expiresInDays <= 30).length;
    expect(due).toBeGreaterThan(0);
    expect(due).toBeLessThan(plan.secrets.length);
  });

  it('plans the secrets consumers and channels reference', () => {
    const refs = Object.fromEntries(plan.refs.map((r) => [r.name, r.role]));
    expect(refs).toEqual({
      'ops-teams-webhook-url': { kind: 'chat-url', chat: 'teams', owner: 'ops-teams' },
      'ops-slack-webhook-url': { kind: 'chat-url', chat: 'slack', owner: 'ops-slack' },
      'ops-webhook-url': { kind: 'webhook-url', owner: 'ops-webhook' },
      'rotator-webhook-signing-key': { kind: 'signing-key', owner: 'ops-webhook' },
    });
    expect(plan.refs.every((r) => r.vault === 'kv-rotator-demo')).toBe(true);
  });
});

describe('planSeed details', () => {
  it('declares topics for eventgrid consumers and site slots', () => {
    const config = parseConfig({
      vaults: [{ name: 'kv-a' }, { name: 'kv-b' }],
      consumers: {
        bus: {
          type: 'eventgrid',
          endpoint: { secretRef: 'bus-endpoint', vault: 'kv-b' },
          accessKey: 'inline-key',
        },
        web: {
          type: 'app-service',
          resourceId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/web/slots/staging`,
        },
      },
      secrets: {
        'jwt-key': { vault: 'kv-a', provider: 'jwt-secret', consumers: ['bus', 'web'] },
      },
    });
    const plan = planSeed(config);
    expect(plan.topics).toEqual([{ name: 'bus', key1: 'inline-key' }]);
    expect(plan.refs).toEqual([
      { vault: 'kv-b', name: 'bus-endpoint', role: { kind: 'eventgrid-endpoint', topic: 'bus' } },
    ]);
    expect(plan.resources).toEqual([
      {
        type: 'Microsoft.Web/sites',
        subscriptionId: SUB,
        resourceGroup: 'rg',
        name: 'web',
        slots: ['staging'],
      },
    ]);
    expect(plan.vaults).toEqual(['kv-a', 'kv-b']);
  });

  it('parses ARM ids with and without slots', () => {
    expect(
      parseArmId(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/s1/slots/blue`),
    ).toEqual({
      subscriptionId: SUB,
      resourceGroup: 'rg',
      type: 'Microsoft.Web/sites',
      name: 's1',
      slot: 'blue',
    });
    expect(parseArmId('/not/an/id')).toBeUndefined();
  });

  it('takes the account kind from settings first', () => {
    const secret = sample.secrets.find((s) => s.provider === 'azure-cognitive-services')!;
    expect(cognitiveKind('any', [{ ...secret, settings: { kind: 'AIServices' } }])).toBe('AIServices');
    expect(cognitiveKind('oai-x', [secret])).toBe('OpenAI');
  });
});
