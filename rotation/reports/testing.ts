/**
 * Sample data for report tests and the browser test: a config, Key Vault listings and journal runs that
 * cover every inventory state and several run outcomes. No values anywhere (listings carry none).
 */
import { parseConfig } from '../config/index.js';
import type { ResolvedConfig } from '../config/types.js';
import type { RunStatus } from '../kinds.js';
import type { RunRecord, SecretVersionProperties } from '../ports.js';
import type { InventoryInput } from './inventory.js';

export const SAMPLE_NOW = new Date('2026-03-10T09:30:00.000Z');
const DAY = 86_400_000;

export const SAMPLE_CONFIG_DOC = {
  vaults: [{ name: 'kv-prod' }, { name: 'kv-shared' }],
  secrets: {
    'openai-key': {
      vault: 'kv-prod',
      provider: 'azure-cognitive-services',
      settings: {
        resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai',
      },
      owners: ['ai-team@example.com'],
    },
    'openai-key-batch': {
      vault: 'kv-prod',
      provider: 'azure-cognitive-services',
      settings: {
        resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai',
      },
    },
    'acs-connection': {
      vault: 'kv-prod',
      provider: 'azure-communication',
      settings: {
        resourceId:
          '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs',
      },
    },
    'jwt-signing-key': { vault: 'kv-prod', provider: 'jwt-secret' },
    'session-secret': { vault: 'kv-prod', provider: 'jwt-secret' },
    'groq-api-key': { vault: 'kv-prod', provider: 'groq', owners: ['platform@example.com'] },
    'razorpay-key-id': { vault: 'kv-shared', provider: 'razorpay', group: 'razorpay-live', part: 'keyId' },
    'razorpay-key-secret': {
      vault: 'kv-shared',
      provider: 'razorpay',
      group: 'razorpay-live',
      part: 'keySecret',
    },
    'mongodb-uri': { vault: 'kv-shared', provider: 'mongodb' },
    'recaptcha-secret': { vault: 'kv-shared', provider: 'recaptcha' },
    'deepseek-key': { vault: 'kv-shared', provider: 'deepseek' },
  },
};

export function sampleConfig(): ResolvedConfig {
  return parseConfig(SAMPLE_CONFIG_DOC);
}

const at = (offsetDays: number, now = SAMPLE_NOW) => new Date(now.getTime() + offsetDays * DAY);

export function props(
  vault: string,
  name: string,
  input: {
    created: number;
    expires?: number;
    tags?: Record<string, string>;
    enabled?: boolean;
    contentType?: string;
  },
  now = SAMPLE_NOW,
): SecretVersionProperties {
  return {
    vault,
    name,
    version: undefined,
    enabled: input.enabled ?? true,
    createdOn: at(input.created, now),
    updatedOn: at(input.created, now),
    ...(input.expires !== undefined ? { expiresOn: at(input.expires, now) } : {}),
    ...(input.contentType ? { contentType: input.contentType } : {}),
    tags: input.tags ?? {},
  };
}

export interface SampleRunInput {
  id: string;
  vault: string;
  group: string;
  provider: RunRecord['provider'];
  secrets: string[];
  status: RunStatus;
  /** Days relative to now when the run was created. */
  created: number;
  minutes?: number;
  error?: RunRecord['error'];
  trigger?: RunRecord['trigger'];
  newVersions?: Record<string, string>;
  compromised?: boolean;
}

export function sampleRun(input: SampleRunInput, now = SAMPLE_NOW): RunRecord {
  const start = at(input.created, now);
  const minutes = input.minutes ?? 3;
  const step = (i: number) => new Date(start.getTime() + i * 20_000).toISOString();
  const finished = new Date(start.getTime() + minutes * 60_000).toISOString();
  const live = ['done', 'revoked', 'propagated-with-errors'].includes(input.status);
  const phases: RunRecord['phases'] = [
    { phase: 'queued', at: step(0) },
    { phase: 'claimed', at: step(1) },
  ];
  if (live) {
    phases.push(
      { phase: 'issued', at: step(2) },
      { phase: 'validated', at: step(4) },
      { phase: 'promoted', at: step(5) },
      { phase: 'propagated', at: step(8) },
      { phase: 'done', at: finished },
    );
  }
  const unfinished = input.status === 'queued' || input.status === 'running';
  const newVersions =
    input.newVersions ??
    (live
      ? Object.fromEntries(input.secrets.map((s, i) => [s, `${input.id.slice(0, 8)}v${i}`.padEnd(32, '0')]))
      : {});
  return {
    id: input.id,
    vault: input.vault,
    group: input.group,
    provider: input.provider,
    secrets: input.secrets,
    triggerVersion: `${input.id.slice(0, 6)}prev`.padEnd(32, 'a'),
    attempt: 1,
    status: input.status,
    phase: phases.at(-1)!.phase,
    phases,
    trigger: input.trigger ?? {
      kind: 'event',
      eventType: 'Microsoft.KeyVault.SecretNearExpiry',
      eventId: `evt-${input.id.slice(0, 6)}`,
    },
    compromised: input.compromised ?? false,
    previousVersions: Object.fromEntries(
      input.secrets.map((s, i) => [s, `prev${i}${input.id.slice(0, 6)}`.padEnd(32, 'b')]),
    ),
    newVersions,
    ...(live
      ? { previousCredentialId: 'key1', credentialId: 'key2', previousKeyHint: 'Qx7e', keyHint: 'n2Rk' }
      : {}),
    consumers: live
      ? [
          { name: 'web-app', status: 'ok', at: step(7), attempts: 1 },
          ...(input.status === 'propagated-with-errors'
            ? [
                {
                  name: 'batch-worker',
                  status: 'failed' as const,
                  detail: 'restart timed out',
                  at: step(8),
                  attempts: 3,
                },
              ]
            : []),
        ]
      : [],
    revoked: input.compromised ? ['key1'] : [],
    pendingHuman: input.status === 'manual-action-required' ? ['submit a new key'] : [],
    alerts: [],
    ...(input.error ? { error: input.error } : {}),
    createdAt: start.toISOString(),
    updatedAt: unfinished ? step(1) : finished,
    ...(unfinished ? {} : { finishedAt: finished }),
  };
}

/** Listings and runs that give every state at `SAMPLE_NOW` (with a sweep 8 hours ago). */
export function sampleInventoryInput(): InventoryInput {
  const config = sampleConfig();
  const g = (vault: string, name: string) => config.findSecret(vault, name)!.group;
  const runs: RunRecord[] = [
    sampleRun({
      id: 'a1f0c2d3e4f5061728394a5b6c7d8e9f',
      vault: 'kv-prod',
      group: g('kv-prod', 'acs-connection'),
      provider: 'azure-communication',
      secrets: ['acs-connection'],
      status: 'failed',
      created: -1,
      error: {
        code: 'ProviderUnavailable',
        message: 'regenerateKey answered 503 three times',
        phase: 'issued',
      },
    }),
    sampleRun({
      id: 'b2e1d3c4b5a6978877665544332211aa',
      vault: 'kv-prod',
      group: g('kv-prod', 'groq-api-key'),
      provider: 'groq',
      secrets: ['groq-api-key'],
      status: 'manual-action-required',
      created: -2,
    }),
    sampleRun({
      id: 'c3d2e1f00112233445566778899aabbc',
      vault: 'kv-prod',
      group: g('kv-prod', 'openai-key'),
      provider: 'azure-cognitive-services',
      secrets: ['openai-key', 'openai-key-batch'],
      status: 'done',
      created: -20,
      minutes: 4,
    }),
    sampleRun({
      id: 'd4c3b2a1908f7e6d5c4b3a2918273645',
      vault: 'kv-prod',
      group: g('kv-prod', 'jwt-signing-key'),
      provider: 'jwt-secret',
      secrets: ['jwt-signing-key'],
      status: 'propagated-with-errors',
      created: -5,
      trigger: { kind: 'http', caller: 'alice@example.com', reason: 'quarterly rotation' },
    }),
    sampleRun({
      id: 'e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0',
      vault: 'kv-shared',
      group: g('kv-shared', 'mongodb-uri'),
      provider: 'mongodb',
      secrets: ['mongodb-uri'],
      status: 'running',
      created: 0,
      trigger: { kind: 'sweep', reason: 'due: expires in 12 days' },
    }),
  ];
  const listings = [
    {
      vault: 'kv-prod',
      secrets: [
        props('kv-prod', 'openai-key', {
          created: -20,
          expires: 70,
          tags: { CredentialId: 'key2', RotationId: runs[2]!.id },
        }),
        props('kv-prod', 'openai-key-batch', { created: -20, expires: 70, tags: { CredentialId: 'key2' } }),
        props('kv-prod', 'acs-connection', { created: -80, expires: 10, tags: { CredentialId: 'Primary' } }),
        props('kv-prod', 'jwt-signing-key', { created: -5, expires: 85, tags: { CredentialId: 'k3J9' } }),
        props('kv-prod', 'session-secret', { created: -70, expires: 20 }),
        props('kv-prod', 'groq-api-key', { created: -85, expires: 5 }),
        props('kv-prod', 'legacy-db-password', { created: -400, expires: -3 }),
        props('kv-prod', 'storage-conn', { created: -30 }),
        props('kv-prod', 'speech-key', {
          created: -60,
          expires: 29.9,
          tags: {
            CredentialId: 'key1',
            ProviderAddress:
              '/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/speech',
            ValidityPeriodDays: '90',
          },
        }),
      ],
    },
    {
      vault: 'kv-shared',
      secrets: [
        props('kv-shared', 'razorpay-key-id', { created: -10, expires: 80 }),
        props('kv-shared', 'razorpay-key-secret', { created: -10, expires: 80 }),
        props('kv-shared', 'mongodb-uri', { created: -78, expires: 12 }),
        props('kv-shared', 'recaptcha-secret', { created: -15 }),
        props('kv-shared', 'deepseek-key', { created: -100, expires: -1 }),
        props('kv-shared', 'partner-sftp-password', { created: -3, expires: 200, contentType: 'text/plain' }),
      ],
    },
  ];
  return {
    now: SAMPLE_NOW,
    config,
    listings,
    runs,
    lastSweepAt: new Date(SAMPLE_NOW.getTime() - 8 * 3_600_000),
    modes: {
      'azure-cognitive-services': 'automatic',
      'azure-communication': 'automatic',
      'jwt-secret': 'automatic',
      groq: 'manual',
      razorpay: 'manual',
      mongodb: 'manual',
      recaptcha: 'manual',
      deepseek: 'manual',
    },
  };
}
