/**
 * Test support for the manual-provider flow over the in-memory fakes: a Groq-like bearer-key provider and
 * a Razorpay-like key pair provider backed by small "dashboards" a test plays the human with (mint, revoke,
 * outage), and a fake app with a Groq key and a Razorpay key id + key secret group.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { jwtSecretProvider } from '../../providers/jwt-secret/index.js';
import { keyHint } from '../../rotation/engine/tags.js';
import type { ProviderKind } from '../../rotation/kinds.js';
import type { CredentialProvider, IssuedCredential, ValidationResult } from '../../rotation/ports.js';
import { createFakeApp, type FakeApp } from './fake-app.js';

/** A provider's dashboard: which keys work, and whether its API answers at all. */
export class FakeDashboard {
  readonly live = new Set<string>();
  outage = false;
  checks = 0;

  constructor(readonly prefix: string) {}

  /** Plays the human minting a key (random at run time). */
  mint(): string {
    const value = `${this.prefix}${randomBytes(24).toString('base64url')}`;
    this.live.add(value);
    return value;
  }

  /** A key in the provider's format that the provider does not know. */
  bogus(): string {
    return `${this.prefix}${randomBytes(24).toString('base64url')}`;
  }
}

const noSettings = z.object({}).passthrough();

function unavailable(): ValidationResult {
  return { ok: false, outcome: 'unavailable', reason: 'HTTP 503 from the provider', retryAfterSeconds: 7 };
}

async function revokeWords(
  ctx: Parameters<NonNullable<CredentialProvider['revoke']>>[0],
  credential: { credentialId: string | undefined; version: string },
  noun: string,
) {
  const primary = ctx.group.secrets[0]!;
  const old = await ctx.secrets.getVersion(ctx.group.vault, primary.name, credential.version);
  const id = credential.credentialId ? `, credential ${credential.credentialId}` : '';
  return {
    revoked: [],
    pendingHuman: [
      `revoke ${noun} ending …${old ? keyHint(old.value) : '????'} (Key Vault version ${credential.version}${id}): delete it on the API Keys page`,
    ],
  };
}

/** A bearer-key provider like Groq: a human mints keys; validation asks the dashboard. */
export function bearerProvider(kind: ProviderKind, dashboard: FakeDashboard): CredentialProvider {
  return {
    kind,
    mode: 'manual',
    settingsSchema: noSettings,
    revokePolicy: 'on-compromise',
    async issue() {
      return {
        kind: 'manual',
        instructions: `Create a new ${kind} API key on the API Keys page`,
        dashboardUrl: `https://console.${kind}.invalid/keys`,
      };
    },
    async validate(_ctx, credential: IssuedCredential): Promise<ValidationResult> {
      dashboard.checks += 1;
      if (dashboard.outage) return unavailable();
      return dashboard.live.has(credential.value)
        ? { ok: true }
        : { ok: false, outcome: 'rejected', reason: `${kind} rejected the key (HTTP 401: Invalid API Key)` };
    },
    revoke: (ctx, credential) => revokeWords(ctx, credential, `${kind} API key`),
  };
}

/** Razorpay-like: a key id and key secret that only work together. */
export class FakePairDashboard {
  readonly pairs = new Map<string, string>();
  outage = false;
  checks = 0;

  mint(): { keyId: string; keySecret: string } {
    const keyId = `rzp_test_${randomBytes(8).toString('hex')}`;
    const keySecret = randomBytes(18).toString('hex');
    this.pairs.set(keyId, keySecret);
    return { keyId, keySecret };
  }
}

export function pairProvider(dashboard: FakePairDashboard): CredentialProvider {
  return {
    kind: 'razorpay',
    mode: 'manual',
    settingsSchema: noSettings,
    revokePolicy: 'on-compromise',
    async issue() {
      return {
        kind: 'manual',
        instructions: 'Regenerate the API key pair',
        dashboardUrl: 'https://dashboard.razorpay.invalid',
      };
    },
    async validate(_ctx, credential): Promise<ValidationResult> {
      dashboard.checks += 1;
      if (dashboard.outage) return unavailable();
      const { keyId, keySecret } = credential.parts ?? {};
      if (keyId === undefined || keySecret === undefined) {
        return { ok: false, outcome: 'rejected', reason: 'both the key id and the key secret are needed' };
      }
      return dashboard.pairs.get(keyId) === keySecret
        ? { ok: true }
        : { ok: false, outcome: 'rejected', reason: 'Razorpay rejected the key pair (HTTP 401)' };
    },
    revoke: (ctx, credential) => revokeWords(ctx, credential, 'Razorpay key'),
  };
}

const SITES =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test/providers/Microsoft.Web/sites';

export const MANUAL_CONFIG = {
  vaults: [{ name: 'kv-test' }],
  consumers: {
    'chat-app': { type: 'app-service', resourceId: `${SITES}/chat-app` },
    'payment-app': { type: 'app-service', resourceId: `${SITES}/payment-app` },
  },
  secrets: {
    'groq-api-key': { provider: 'groq', consumers: ['chat-app'], owners: ['ai-platform@example.com'] },
    'razorpay-key-id': {
      provider: 'razorpay',
      group: 'razorpay',
      part: 'keyId',
      validityDays: 180,
      consumers: ['payment-app'],
      owners: ['payments@example.com'],
    },
    'razorpay-key-secret': {
      provider: 'razorpay',
      group: 'razorpay',
      part: 'keySecret',
      validityDays: 180,
      consumers: ['payment-app'],
      owners: ['payments@example.com'],
    },
    'jwt-secret-key': { provider: 'jwt-secret', settings: {} },
  },
};

export const VAULT = 'kv-test';
export const DAY = 86_400_000;

export interface ManualWorld extends FakeApp {
  groq: FakeDashboard;
  razorpay: FakePairDashboard;
  /** Values handed to the rotator in this test (scan for leaks). */
  values: string[];
  /** The Groq key Key Vault serves at the start (gen-3, expires in `expiresInDays`). */
  groqKey: string;
  razorpayPair: { keyId: string; keySecret: string };
}

export function manualWorld(
  options: { expiresInDays?: number; env?: Record<string, string> } = {},
): ManualWorld {
  const groq = new FakeDashboard('gsk_');
  const razorpay = new FakePairDashboard();
  const fake = createFakeApp({
    config: MANUAL_CONFIG,
    providers: {
      groq: bearerProvider('groq', groq),
      razorpay: pairProvider(razorpay),
      'jwt-secret': jwtSecretProvider,
    },
    ...(options.env ? { env: options.env } : {}),
  });
  const { world } = fake;
  const expiresOn = new Date(world.clock.now().getTime() + (options.expiresInDays ?? 30) * DAY);
  const groqKey = groq.mint();
  world.store.seed(VAULT, 'groq-api-key', {
    value: groqKey,
    tags: { CredentialId: 'gen-3', team: 'ai' },
    contentType: 'text/plain',
    expiresOn,
  });
  const razorpayPair = razorpay.mint();
  world.store.seed(VAULT, 'razorpay-key-id', { value: razorpayPair.keyId, expiresOn });
  world.store.seed(VAULT, 'razorpay-key-secret', { value: razorpayPair.keySecret, expiresOn });
  return {
    ...fake,
    groq,
    razorpay,
    values: [groqKey, razorpayPair.keySecret],
    groqKey,
    razorpayPair,
  };
}

/** Everything a value could leak into: journal writes, alerts, log lines (plus extra, e.g. responses). */
export function leakSurface(w: ManualWorld, ...extra: unknown[]): string {
  return JSON.stringify([w.world.journal.writes, w.world.notifier.alerts, w.world.log.lines, extra]);
}
