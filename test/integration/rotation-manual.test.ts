/**
 * Issue 8 (manual providers) through the stack `npm start` runs (`startLocalStack`: Azurite, the emulator
 * seeded from `rotation.sample.json`, the local Functions host), in process, with real SDK clients:
 *
 * - near expiry of `groq-api-key` → `manual-action-required` with an open task and alerts to the channels;
 * - an invalid value posted to `/versions` → 422, Key Vault unchanged;
 * - an invalid value set with the real `SecretClient` (as `az keyvault secret set` does) → the last valid
 *   value is current again within seconds, the task stays open with the rejection, an alert goes out;
 * - a key minted with the emulator's control API and posted → 201: promoted as `gen-N`, propagated, the
 *   task closed; a valid value set with the `SecretClient` is promoted where it stands;
 * - Razorpay's key id and key secret are handed over together and rotate together;
 * - no value in any log line, journal row or answer.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotatorApp } from '../../composition/app.js';
import { followClock } from '../../composition/clock.js';
import { createJsonLogger } from '../../composition/logger.js';
import { createRotatorApp } from '../../composition/root.js';
import type { FunctionDefinition } from '../../functions/definition.js';
import { keyVaultEventsFunction } from '../../functions/keyVaultEvents.js';
import { poisonRunsFunction } from '../../functions/poisonRuns.js';
import { rotationWorkerFunction } from '../../functions/rotationWorker.js';
import {
  createSubmitSecretVersionHandler,
  submitSecretVersionFunction,
} from '../../functions/submitSecretVersion.js';
import { emulatorSecretClient } from '../../local/emulator/testing.js';
import { type RunningLocalStack, startLocalStack } from '../../local/stack.js';
import { loadConfig } from '../../rotation/config/index.js';
import { createRunIdentity } from '../../rotation/engine/index.js';
import type { RunRecord } from '../../rotation/ports.js';
import { loadSettings } from '../../rotation/settings.js';
import { keyVaultEvent } from './rotation-stack.js';

const SAMPLE = path.resolve(import.meta.dirname, '../../rotation.sample.json');
const config = loadConfig(SAMPLE);
const VAULT = config.vaults[0]!.name;
const GROQ = 'groq-api-key';
const GROQ_GROUP = config.findSecret(VAULT, GROQ)!.group;
const RZP_ID = 'razorpay-api-key';
const RZP_SECRET = 'razorpay-api-secret';

const functionKey = randomBytes(24).toString('base64url');
const stateDir = mkdtempSync(path.join(tmpdir(), 'manual-it-'));
const logLines: string[] = [];
const log = createJsonLogger({ write: (line) => logLines.push(line) });
/** Every value handed to the rotator in this file (scanned for leaks at the end). */
const values: string[] = [];
const answers: unknown[] = [];
let app: RotatorApp | undefined;
const getApp = async () => {
  if (!app) throw new Error('the app is not configured yet');
  return app;
};
let stack: RunningLocalStack;
let client: SecretClient;

beforeAll(async () => {
  const definitions: FunctionDefinition[] = [
    keyVaultEventsFunction(getApp),
    rotationWorkerFunction(getApp),
    poisonRunsFunction(getApp),
    { ...submitSecretVersionFunction, handler: createSubmitSecretVersionHandler(getApp) },
  ];
  stack = await startLocalStack({
    config,
    stateDir,
    port: 0,
    functionKey,
    persistAzurite: false,
    definitions,
    settings: {},
    logger: log,
    configureApp: async (context) => {
      app = await createRotatorApp({
        settings: loadSettings({
          AzureWebJobsStorage: context.storageConnectionString,
          ROTATION_CONFIG: SAMPLE,
          LOCAL_STATE_DIR: stateDir,
          VALIDATION_TIMEOUT_SECONDS: '10',
        }),
        env: context.env,
        emulatorOrigin: context.emulatorOrigin,
        clock: followClock(context.clock),
        log,
        timing: 'fast',
      });
    },
  });
  client = emulatorSecretClient(stack.emulator.vaults[0]!.url, stack.emulator.caCert, {
    retryOptions: { maxRetries: 0 },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function submit(name: string, body: unknown) {
  const response = await fetch(`${stack.host.url}/api/secrets/${name}/versions`, {
    method: 'POST',
    headers: { 'x-functions-key': functionKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
  const json: any = await response.json();
  answers.push(json);
  return { status: response.status, headers: response.headers, body: json };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function runOf(id: string): Promise<RunRecord | undefined> {
  return (await app!.engine.journal.get(id))?.run;
}

async function versionIds(name: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const v of client.listPropertiesOfSecretVersions(name)) ids.push(v.version!);
  return ids.sort();
}

/** A key in Groq's format that Groq (the emulator's data plane) never issued. */
function bogusGroqKey(): string {
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const key = `gsk_${Array.from(randomBytes(52), (b) => alnum[b % alnum.length]).join('')}`;
  values.push(key);
  return key;
}

describe('manual provider: groq-api-key', () => {
  let taskId: string;
  let seeded: { version: string; value: string; expiresOn: Date };

  it('near expiry opens a task and tells the owners (alert channels)', async () => {
    const current = await client.getSecret(GROQ);
    seeded = {
      version: current.properties.version!,
      value: current.value!,
      expiresOn: current.properties.expiresOn!,
    };
    values.push(seeded.value);
    const sinkBefore = stack.sink.received().length;
    const event = keyVaultEvent(
      'SecretNearExpiry',
      { name: GROQ, version: seeded.version, expiresOn: seeded.expiresOn },
      VAULT,
    );
    const delivered = await fetch(
      `${stack.host.url}/runtime/webhooks/eventgrid?functionName=keyVaultEvents`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'aeg-event-type': 'Notification',
          'x-functions-key': functionKey,
        },
        body: JSON.stringify([event]),
      },
    );
    expect(delivered.status).toBeLessThan(300);
    taskId = createRunIdentity(VAULT, GROQ_GROUP, seeded.version);
    const run = await waitFor('the task', async () => {
      const r = await runOf(taskId);
      return r?.status === 'manual-action-required' ? r : undefined;
    });
    expect(run.task).toMatchObject({
      urgent: false,
      deadline: seeded.expiresOn.toISOString(),
      reminders: [],
    });
    expect(run.pendingHuman[0]).toContain('Groq');
    const sent = run.alerts.filter((a) => a.kind === 'manual-action-required' && a.status === 'sent');
    expect(sent.map((a) => a.channel).sort()).toEqual(['ops-slack', 'ops-teams']);
    expect(stack.sink.received().length).toBeGreaterThanOrEqual(sinkBefore + 2);
  });

  it('an invalid key posted to /versions is refused with 422 and nothing changes', async () => {
    const before = await versionIds(GROQ);
    const answer = await submit(GROQ, { value: bogusGroqKey() });
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('CredentialRejected');
    expect(await versionIds(GROQ)).toEqual(before);
    expect((await client.getSecret(GROQ)).value).toBe(seeded.value);
    expect((await runOf(taskId))?.task?.closedAt).toBeUndefined();
  });

  it('an invalid key set with the SecretClient is replaced by the last valid one within seconds, and alerts', async () => {
    const sinkBefore = stack.sink.received().length;
    const bad = await client.setSecret(GROQ, bogusGroqKey());
    const restored = await waitFor(
      'the revert',
      async () => {
        const current = await client.getSecret(GROQ);
        return current.properties.version !== bad.properties.version && current.value === seeded.value
          ? current
          : undefined;
      },
      5_000,
    );
    expect(restored.properties.tags).toMatchObject({ RotatedBy: 'key-vault-rotator' });
    expect(restored.properties.expiresOn).toEqual(seeded.expiresOn);
    const run = await waitFor('the rejection on the task', async () => {
      const r = await runOf(taskId);
      return r?.task?.rejections?.length ? r : undefined;
    });
    expect(run.status).toBe('manual-action-required');
    expect(run.task?.rejections?.[0]?.version).toBe(bad.properties.version);
    expect(run.alerts.some((a) => a.kind === 'invalid-value-reverted' && a.status === 'sent')).toBe(true);
    expect(stack.sink.received().length).toBeGreaterThan(sinkBefore);
  });

  it('a key minted at the provider and posted is promoted as gen-N, propagated, and the task closed', async () => {
    const minted = stack.emulator.control.dataPlanes.mintCredential('groq').value;
    values.push(minted);
    const answer = await submit(GROQ, { value: minted });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      id: taskId,
      status: 'done',
      credentialId: 'gen-2',
      previousCredentialId: 'gen-1',
    });
    expect(answer.body.consumers.map((c: { status: string }) => c.status)).toEqual(['ok', 'ok']);
    expect(answer.body.task.closedAt).toBeDefined();
    expect(answer.body.revokeOld).toContain(`…${seeded.value.slice(-4)}`);
    const current = await client.getSecret(GROQ);
    expect(current.value).toBe(minted);
    expect(current.properties.version).toBe(answer.body.newVersion);
    expect(current.properties.tags).toMatchObject({
      RotatedBy: 'key-vault-rotator',
      RotationId: taskId,
      Provider: 'groq',
      CredentialId: 'gen-2',
      ValidityPeriodDays: '90',
    });
    const run = await runOf(taskId);
    expect(run).toMatchObject({ status: 'done', task: { closedBy: { via: 'submission' } } });
  });

  it('a valid key set with the SecretClient is promoted where it stands (gen-N+1)', async () => {
    const minted = stack.emulator.control.dataPlanes.mintCredential('groq').value;
    values.push(minted);
    const set = await client.setSecret(GROQ, minted);
    const promoted = await waitFor('the promotion in place', async () => {
      const v = await client.getSecret(GROQ, { version: set.properties.version! });
      return v.properties.tags?.RotatedBy ? v : undefined;
    });
    expect((await client.getSecret(GROQ)).properties.version).toBe(set.properties.version);
    expect(promoted.properties.tags).toMatchObject({ CredentialId: 'gen-3', Provider: 'groq' });
    expect(promoted.properties.expiresOn).toBeDefined();
  });
});

describe('manual provider: the Razorpay key pair', () => {
  it('is handed over together and rotates together', async () => {
    const pair = stack.emulator.control.dataPlanes.mintCredential('razorpay');
    values.push(pair.keySecret!);
    const answer = await submit(RZP_ID, { value: pair.keyId, with: { [RZP_SECRET]: pair.keySecret } });
    expect(answer.status).toBe(201);
    const id = await client.getSecret(RZP_ID);
    const secret = await client.getSecret(RZP_SECRET);
    expect([id.value, secret.value]).toEqual([pair.keyId, pair.keySecret]);
    expect(id.properties.tags?.RotationId).toBe(answer.body.id);
    expect(secret.properties.tags?.RotationId).toBe(answer.body.id);
    expect(secret.properties.tags?.CredentialId).toBe(id.properties.tags?.CredentialId);

    const lone = stack.emulator.control.dataPlanes.mintCredential('razorpay');
    values.push(lone.keySecret!);
    const half = await submit(RZP_SECRET, { value: lone.keySecret });
    expect(half.status).toBe(422);
    expect((await client.getSecret(RZP_SECRET)).value).toBe(pair.keySecret);
  });
});

describe('secrecy', () => {
  it('no value reached a log line, a journal row or an answer', async () => {
    const runs: RunRecord[] = [];
    for await (const run of app!.engine.journal.list({})) runs.push(run);
    const surface = JSON.stringify([logLines, runs, answers]);
    for (const value of values) expect(surface).not.toContain(value);
  });
});
