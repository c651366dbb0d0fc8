/**
 * `npm start` end to end: the real entry point in a child process (`PORT=0`, a temp `LOCAL_STATE_DIR`),
 * read back through `endpoints.json` and the real `SecretClient`, then stopped with SIGINT.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticLocalCredential } from '../../azure/credential.js';
import { type EndpointsFile, loadEndpointsFile, storageEndpointsOf } from '../../azure/endpoints.js';
import { functionDefinitions } from '../../functions/definitions.js';
import { loadConfig } from '../../rotation/config/index.js';
import { GUARD_PREFIX } from './support/guard-prefix.js';
import { portOpen, request } from './support/https.js';
import {
  groupAlive,
  groupMembers,
  REPO_ROOT,
  type RotatorProcess,
  startRotator,
} from './support/rotator-process.js';

const SAMPLE = path.join(REPO_ROOT, 'rotation.sample.json');
const config = loadConfig(SAMPLE);
const DAY = 86_400_000;
const START_TIMEOUT_MS = 30_000;

interface Seeded {
  name: string;
  value: string;
  tags: Record<string, string>;
  expiresOn: Date | undefined;
}

describe('npm start (local mode)', () => {
  let stateDir: string;
  let proc: RotatorProcess;
  let endpoints: EndpointsFile;
  let ca: string;
  let client: SecretClient;
  const seeded = new Map<string, Seeded>();
  let startedAt: Date;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'rotator-start-'));
    startedAt = new Date();
    const t0 = performance.now();
    proc = startRotator({ PORT: '0', LOCAL_STATE_DIR: stateDir, ROTATION_CONFIG: SAMPLE });
    await proc.waitForStdout(/Ready in/, START_TIMEOUT_MS);
    process.stdout.write(`npm start was ready after ${Math.round(performance.now() - t0)} ms\n`);
    endpoints = await loadEndpointsFile(stateDir);
    ca = readFileSync(endpoints.caCertFile, 'utf8');
    const vault = endpoints.vaults[0]!;
    client = new SecretClient(vault.url, new StaticLocalCredential(), {
      tlsOptions: { ca },
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
    });
    for await (const props of client.listPropertiesOfSecrets()) {
      const secret = await client.getSecret(props.name);
      seeded.set(props.name, {
        name: props.name,
        value: secret.value ?? '',
        tags: secret.properties.tags ?? {},
        expiresOn: secret.properties.expiresOn,
      });
    }
  }, 60_000);

  afterAll(() => {
    proc?.killGroup();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('writes endpoints.json for loopback endpoints, readable by the owner only', () => {
    expect(statSync(path.join(stateDir, 'endpoints.json')).mode & 0o777).toBe(0o600);
    expect(endpoints.vaults.map((v) => v.name)).toEqual(config.vaults.map((v) => v.name));
    for (const url of [
      endpoints.host,
      endpoints.emulator,
      endpoints.armEndpoint,
      ...endpoints.vaults.map((v) => v.url),
    ]) {
      expect(new URL(url).hostname).toBe('127.0.0.1');
    }
    expect(new URL(endpoints.host).port).not.toBe('7071');
    expect(proc.stdout()).toContain('local mode');
  });

  it('seeds every configured secret with Microsoft tags and an expiry within 90 days', () => {
    const now = Date.now();
    for (const secret of config.secrets) {
      const got = seeded.get(secret.name);
      expect(got, secret.name).toBeDefined();
      expect(got!.value.length).toBeGreaterThan(16);
      expect(got!.tags.ValidityPeriodDays).toBe(String(secret.validityDays));
      expect(got!.tags.CredentialId, secret.name).toMatch(/^(key1|Primary|gen-1|[A-Za-z0-9_-]{22})$/);
      const exp = got!.expiresOn!.getTime();
      expect(exp).toBeGreaterThan(now);
      expect(exp).toBeLessThanOrEqual(startedAt.getTime() + 90 * DAY);
      if (typeof secret.settings.resourceId === 'string') {
        expect(got!.tags.ProviderAddress).toBe(secret.settings.resourceId);
      }
    }
    const due = config.secrets.filter((s) => seeded.get(s.name)!.expiresOn!.getTime() < now + 30 * DAY);
    expect(due.length).toBeGreaterThan(0);
    expect(due.length).toBeLessThan(config.secrets.length);
    // Secrets of one credential group share the value (one key) and the expiry.
    expect(seeded.get('azure-openai-gpt4-key')!.value).toBe(seeded.get('azure-openai-gpt4-turbo-key')!.value);
    expect(seeded.get('azure-openai-gpt4-key')!.expiresOn).toEqual(
      seeded.get('azure-openai-gpt4-turbo-key')!.expiresOn,
    );
  });

  it('seeds values that the emulated providers accept', async () => {
    const value = (name: string) => seeded.get(name)!.value;
    const e = endpoints.emulator;
    const openai = await request(`${e}/cs/oai-gpt4-eastus/openai/models?api-version=2024-10-21`, {
      headers: { 'api-key': value('azure-openai-gpt4-key') },
      ca,
    });
    expect(openai.status).toBe(200);
    const speech = await request(`${e}/cs/speech-tts-centralindia/sts/v1.0/issueToken`, {
      method: 'POST',
      headers: { 'ocp-apim-subscription-key': value('azure-tts-subscription-key') },
      ca,
    });
    expect(speech.status).toBe(200);
    expect(value('azure-email-access-key')).toMatch(
      /^endpoint=https:\/\/127\.0\.0\.1:\d+\/acs\/acs-email-prod\/?;accesskey=/i,
    );
    const keys = await request(
      `${endpoints.armEndpoint}${config.findSecret('kv-rotator-demo', 'azure-email-access-key')!.settings.resourceId}/listKeys?api-version=2023-04-01`,
      { method: 'POST', headers: { authorization: 'Bearer local' }, ca },
    );
    expect(keys.status).toBe(200);
    expect(JSON.parse(keys.text).primaryConnectionString).toBe(value('azure-email-access-key'));

    for (const [secret, route] of [
      ['together-ai-api-key', '/together/v1/models'],
      ['groq-api-key', '/groq/openai/v1/models'],
      ['deepseek-api-key', '/deepseek/models'],
      ['qwen-api-key', '/qwen/compatible-mode/v1/models'],
    ] as const) {
      const answer = await request(`${e}${route}`, {
        headers: { authorization: `Bearer ${value(secret)}` },
        ca,
      });
      expect(answer.status, secret).toBe(200);
    }
    expect(value('razorpay-api-key')).toMatch(/^rzp_test_/);
    const pair = Buffer.from(`${value('razorpay-api-key')}:${value('razorpay-api-secret')}`).toString(
      'base64',
    );
    const razorpay = await request(`${e}/razorpay/v1/payments`, {
      headers: { authorization: `Basic ${pair}` },
      ca,
    });
    expect(razorpay.status).toBe(200);
    const recaptcha = await request(`${e}/recaptcha/api/siteverify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ secret: value('recaptcha-secret-key') }).toString(),
      ca,
    });
    expect(JSON.parse(recaptcha.text)['error-codes']).toEqual(['missing-input-response']);

    expect(Buffer.from(value('jwt-secret-key'), 'base64url')).toHaveLength(64);
    expect(value('mongodb-connection-string')).toMatch(
      /^mongodb:\/\/rotator:[A-Za-z0-9_-]{24}@127\.0\.0\.1:27017\/app\?authSource=admin$/,
    );
  });

  it('seeds the referenced secrets, with chat and webhook URLs pointing at the local sink', async () => {
    const teamsUrl = seeded.get('ops-teams-webhook-url')!.value;
    expect(new URL(teamsUrl).hostname).toBe('127.0.0.1');
    expect(new URL(seeded.get('ops-webhook-url')!.value).hostname).toBe('127.0.0.1');
    expect(seeded.get('rotator-webhook-signing-key')!.value.length).toBeGreaterThanOrEqual(32);
    const marker = 'message-body-must-not-be-logged';
    const answer = await request(teamsUrl, { method: 'POST', body: JSON.stringify({ text: marker }) });
    expect(answer).toMatchObject({ status: 200, text: '1' });
    await expect.poll(() => proc.stdout()).toContain('teams message received');
    expect(proc.stdout()).not.toContain(marker);
  });

  it('serves the functions: 401 without a key, 404 for an unknown route, code redacted in logs', async () => {
    const webhook = `${endpoints.host}/runtime/webhooks/eventgrid?functionName=keyVaultEvents`;
    expect((await request(webhook, { method: 'POST', body: '[]' })).status).toBe(401);
    const key = { 'x-functions-key': endpoints.functionKey };
    expect((await request(`${endpoints.host}/api/no-such-route`, { headers: key })).status).toBe(404);
    expect((await request(`${endpoints.host}/nothing-here`)).status).toBe(404);
    const coded = `${endpoints.host}/runtime/webhooks/eventgrid?functionName=no-such-function&code=${endpoints.functionKey}`;
    expect((await request(coded, { method: 'POST', body: '[]' })).status).toBe(404);
    await expect
      .poll(() => proc.stdout())
      .toMatch(/POST \/runtime\/webhooks\/eventgrid\?functionName=no-such-function&code=\S+ 404/);

    if (functionDefinitions.some((d) => d.name === 'inventoryReport')) {
      const inventory = `${endpoints.host}/api/reports/inventory`;
      expect((await request(inventory)).status).toBe(401);
      const report = await request(inventory, { headers: key });
      expect(report.status).toBe(200);
      for (const secret of config.secrets) expect(report.text).toContain(secret.name);
    }
    if (functionDefinitions.some((d) => d.name === 'keyVaultEvents')) {
      const subs = await request(`${endpoints.emulator}/_emulator/subscriptions`, { ca });
      expect(JSON.parse(subs.text).value).toHaveLength(endpoints.vaults.length);
    }
  });

  it('never prints a secret value or the function key, and contacts nothing but loopback', () => {
    const printed = proc.stdout() + proc.stderr();
    expect(seeded.size).toBeGreaterThanOrEqual(config.secrets.length);
    for (const { name, value } of seeded.values()) {
      expect(printed.includes(value), `value of ${name} printed`).toBe(false);
    }
    for (const { name } of config.secrets) {
      // Key hints (the last 4 characters) may be shown; any longer piece of a credential may not.
      const fragment = seeded.get(name)!.value.slice(-16, -4);
      expect(printed.includes(fragment), `part of ${name} printed`).toBe(false);
    }
    expect(printed).not.toContain(endpoints.functionKey);
    expect(proc.stderr()).not.toContain(GUARD_PREFIX);
  });

  it('runs on the emulator clock: fast-forwarding rotates a secret through the events and the queue', async () => {
    const jwt = seeded.get('jwt-secret-key')!;
    const validityDays = config.findSecret('kv-rotator-demo', 'jwt-secret-key')!.validityDays;
    // Just inside SecretNearExpiry's 30 days: the emulator fires it, the host delivers it to keyVaultEvents.
    const advanceDays = (jwt.expiresOn!.getTime() - Date.now()) / DAY - 29.5;
    expect(advanceDays).toBeGreaterThan(0);
    const advanced = await request(`${endpoints.emulator}/_emulator/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ days: advanceDays }),
      ca,
    });
    expect(advanced.status).toBe(200);
    const emulatorNow = Date.parse(JSON.parse(advanced.text).now);

    let rotated: { tags: Record<string, string>; expiresOn?: Date } | undefined;
    await expect
      .poll(
        async () => {
          const current = await client.getSecret('jwt-secret-key');
          if (current.properties.tags?.RotatedBy !== 'key-vault-rotator') return false;
          rotated = { tags: current.properties.tags, expiresOn: current.properties.expiresOn };
          seeded.set('jwt-secret-key (rotated)', { ...jwt, value: current.value ?? '' });
          return true;
        },
        { timeout: 25_000, interval: 250 },
      )
      .toBe(true);
    expect(rotated!.tags).toMatchObject({ Provider: 'jwt-secret', ValidityPeriodDays: String(validityDays) });
    // The engine stamped the expiry from the emulator's clock, not the wall clock.
    const expected = emulatorNow + validityDays * DAY;
    expect(Math.abs(rotated!.expiresOn!.getTime() - expected)).toBeLessThan(60_000);
    expect(proc.stdout()).toContain('keyVaultEvents');
  });

  it('stops on SIGINT: exit 0, no process left, ports and endpoints.json gone', async () => {
    const ports = [
      endpoints.host,
      endpoints.emulator,
      ...endpoints.vaults.map((v) => v.url),
      ...storageEndpointsOf(endpoints.storageConnectionString),
      seeded.get('ops-teams-webhook-url')!.value,
    ].map((url) => Number(new URL(url).port));
    for (const port of ports) expect(await portOpen(port), `port ${port} open while running`).toBe(true);

    const t0 = performance.now();
    process.kill(proc.pid, 'SIGINT');
    const exit = await proc.exited;
    const stopMs = performance.now() - t0;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stopMs).toBeLessThan(5000);
    expect(proc.stdout()).toContain('Stopped.');
    const printed = proc.stdout() + proc.stderr();
    for (const { name, value } of seeded.values())
      expect(printed.includes(value), `${name} printed`).toBe(false);
    expect(proc.stderr()).not.toContain(GUARD_PREFIX);
    await expect.poll(() => groupMembers(proc.pid)).toEqual([]);
    for (const port of ports) expect(await portOpen(port), `port ${port} still open`).toBe(false);
    expect(() => statSync(path.join(stateDir, 'endpoints.json'))).toThrow();
  });
});

describe('npm start with a bad rotation.json', () => {
  it('exits 2 listing every problem by JSON path, starting nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rotator-badconfig-'));
    try {
      const file = path.join(dir, 'rotation.json');
      writeFileSync(
        file,
        JSON.stringify({
          vaults: [{ name: 'kv-bad' }],
          secrets: {
            'first-key': { provider: 'no-such-provider' },
            'second-key': { provider: 'jwt-secret', validityDays: 5 },
          },
        }),
      );
      const proc = startRotator({ PORT: '0', LOCAL_STATE_DIR: dir, ROTATION_CONFIG: file });
      const exit = await proc.exited;
      expect(exit.code).toBe(2);
      expect(proc.stderr()).toContain('2 problems');
      expect(proc.stderr()).toContain('$.secrets["first-key"].provider');
      expect(proc.stderr()).toContain('$.secrets["second-key"].validityDays');
      expect(proc.stdout()).not.toContain('Ready');
      expect(() => statSync(path.join(dir, 'endpoints.json'))).toThrow();
      expect(groupAlive(proc.pid)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
