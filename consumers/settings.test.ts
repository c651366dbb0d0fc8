/**
 * The adapters re-parse what `rotation/config` produced: every entry the config schema accepts (with its
 * defaults filled in) must parse here too, and the adapters' own checks must hold for `{ secretRef }` values.
 */
import { describe, expect, it } from 'vitest';
import { channelSchema, consumerSchema } from '../rotation/config/schema.js';
import { requireHttpUrl } from './http.js';
import { channelConfigSchema, consumerConfigSchema, isAllowedUrl } from './settings.js';

const SITE = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app';

const consumers = [
  { type: 'app-service', resourceId: SITE },
  {
    type: 'app-service',
    resourceId: SITE,
    slot: 'staging',
    softRestart: false,
    healthUrl: 'https://app.example/health',
    healthTimeoutSeconds: 300,
  },
  {
    type: 'webhook',
    url: 'https://hooks.example/rotated',
    signingKey: { secretRef: 'hook-key', vault: 'kv-prod' },
  },
  {
    type: 'eventgrid',
    endpoint: 'https://topic.westeurope-1.eventgrid.azure.net/api/events',
    accessKey: { secretRef: 'eg-key' },
  },
  { type: 'eventgrid', endpoint: { secretRef: 'eg-endpoint' }, accessKey: 'inline-key' },
  { type: 'teams', url: { secretRef: 'teams-url' } },
  { type: 'slack', url: 'http://127.0.0.1:8080/slack' },
];

const channels = [
  { type: 'teams', url: { secretRef: 'teams-url' } },
  {
    type: 'slack',
    url: 'https://hooks.slack.example/x',
    events: ['run-succeeded', 'run-failed'],
    digest: true,
  },
  { type: 'webhook', url: 'https://ops.example/alerts', signingKey: { secretRef: 'ops-key' } },
  { type: 'eventgrid', endpoint: 'https://topic.example/api/events', accessKey: { secretRef: 'eg-key' } },
];

describe('config compatibility', () => {
  it('accepts every consumer the config schema accepts, after its defaults', () => {
    for (const entry of consumers) {
      const fromConfig = consumerSchema.parse(entry);
      const here = consumerConfigSchema.safeParse(fromConfig);
      expect(here.success, JSON.stringify(entry)).toBe(true);
    }
  });

  it('accepts every channel the config schema accepts, after its defaults', () => {
    for (const entry of channels) {
      const fromConfig = channelSchema.parse(entry);
      const here = channelConfigSchema.safeParse(fromConfig);
      expect(here.success, JSON.stringify(entry)).toBe(true);
    }
  });

  it('fills the documented defaults', () => {
    expect(consumerConfigSchema.parse({ type: 'app-service', resourceId: SITE })).toEqual({
      type: 'app-service',
      resourceId: SITE,
      softRestart: true,
      healthTimeoutSeconds: 120,
    });
  });

  it('rejects what makes no sense, naming the field', () => {
    const bad = [
      {
        type: 'app-service',
        resourceId: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/serverfarms/p',
      },
      { type: 'webhook', url: 'https://x.example' },
      { type: 'app-service', resourceId: `${SITE}/slots/blue`, slot: 'green', extra: 1 },
      { type: 'eventgrid', endpoint: 'ftp://x', accessKey: 'k' },
      { type: 'teams', url: 'http://teams.example/hook' },
      { type: 'pager', url: 'https://x.example' },
      { type: 'slack', url: 'https://x.example', extra: true },
    ];
    for (const entry of bad)
      expect(consumerConfigSchema.safeParse(entry).success, JSON.stringify(entry)).toBe(false);
    expect(
      channelConfigSchema.safeParse({ type: 'teams', url: 'https://t.example', events: ['nope'] }).success,
    ).toBe(false);
  });
});

describe('URL rule', () => {
  it('allows https anywhere and plain http only to this machine', () => {
    expect(isAllowedUrl('https://hooks.example/x')).toBe(true);
    expect(isAllowedUrl('http://127.0.0.1:9/x')).toBe(true);
    expect(isAllowedUrl('http://localhost/x')).toBe(true);
    expect(isAllowedUrl('http://[::1]:80/x')).toBe(true);
    expect(isAllowedUrl('http://hooks.example/x')).toBe(false);
    expect(isAllowedUrl('not a url')).toBe(false);
  });

  it('checks resolved secretRef URLs without echoing them', () => {
    const token = 'T0KEN-in-the-path';
    expect(() => requireHttpUrl(`http://hooks.example/${token}`, 'slack webhook url')).toThrow(
      'slack webhook url must be an https:// URL (http:// only for localhost)',
    );
    try {
      requireHttpUrl(`http://hooks.example/${token}`, 'url');
    } catch (error) {
      expect(String(error)).not.toContain(token);
    }
  });
});
