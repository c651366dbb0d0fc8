/**
 * Issue 4 end to end, in process: Key Vault events → `keyVaultEvents` (local Functions host) → the
 * `rotation-runs` queue (Azurite) → `rotationWorker` → a new Key Vault version in the emulator, read back
 * with the real `SecretClient`. Duplicates, CloudEvents, foreign vaults, malformed and unmanaged events,
 * transient failures, the emulator's own events after a clock jump, and the poison path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../../consumers/testing/receiver.js';
import { newRunRecord } from '../../rotation/engine/records.js';
import { encodeRunMessage } from '../../rotation/run-message.js';
import {
  asCloudEvent,
  keyVaultEvent,
  type RotationStack,
  randomValue,
  startRotationStack,
  VAULT,
  versionsOf,
} from './rotation-stack.js';

const DAY = 86_400_000;
const JWT = 'jwt-secret-key';
const SESSION = 'session-signing-key';
const API = 'api-token-signing-key';

let stack: RotationStack;
let receiver: Receiver;
const seededValues: string[] = [];

const config = {
  vaults: [{ name: VAULT }],
  channels: { 'ops-slack': { type: 'slack', url: { secretRef: 'ops-slack-webhook-url' } } },
  secrets: {
    [JWT]: { provider: 'jwt-secret', settings: {}, validityDays: 60, owners: ['security@example.com'] },
    [SESSION]: { provider: 'jwt-secret', settings: {}, validityDays: 45 },
    [API]: { provider: 'jwt-secret', settings: {}, validityDays: 90 },
  },
};

async function seed(name: string, expiresOn?: Date) {
  const value = randomValue();
  seededValues.push(value);
  const secret = await stack.secrets().setSecret(name, value, expiresOn ? { expiresOn } : {});
  return { name, version: secret.properties.version!, expiresOn: secret.properties.expiresOn, value };
}

async function current(name: string) {
  const secret = await stack.secrets().getSecret(name);
  return { name, version: secret.properties.version!, expiresOn: secret.properties.expiresOn };
}

/** Emulator state without its clock (which moves with real time). */
function state() {
  const { clock: _clock, ...rest } = stack.emulator.control.state();
  return rest;
}

async function journalRuns() {
  const runs = [];
  for await (const run of stack.app.engine.journal.list({})) runs.push(run);
  return runs;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startRotationStack({ config });
  await stack.secrets().setSecret('ops-slack-webhook-url', receiver.url('/slack'));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

describe('keyVaultEvents → queue → rotationWorker', () => {
  it('rotates jwt-secret-key once for a SecretNearExpiry delivered as Key Vault sends it', async () => {
    const seeded = await seed(JWT, new Date(stack.emulator.clock.now().getTime() + 20 * DAY));
    const status = await stack.deliver([keyVaultEvent('SecretNearExpiry', seeded)]);
    expect(status).toBe(202);

    const run = await stack.waitForRun(stack.runId(JWT, seeded.version));
    expect(run).toMatchObject({
      status: 'done',
      trigger: { kind: 'event', eventType: 'Microsoft.KeyVault.SecretNearExpiry' },
    });
    const versions = await versionsOf(stack.secrets(), JWT);
    expect(versions).toHaveLength(2);
    const created = versions[1]!;
    expect(created.tags).toMatchObject({
      RotatedBy: 'key-vault-rotator',
      RotationId: run.id,
      Provider: 'jwt-secret',
      ValidityPeriodDays: '60',
    });
    expect(created.tags?.CredentialId).toMatch(/\S+/);
    expect(created.tags?.ProviderAddress).toBeUndefined();
    // expiresOn = now + validityDays, "now" being the emulator's clock (Key Vault keeps whole seconds).
    const validity = created.expiresOn!.getTime() - created.createdOn!.getTime();
    expect(Math.abs(validity - 60 * DAY)).toBeLessThan(10_000);
    const value = (await stack.secrets().getSecret(JWT)).value!;
    expect(value.length).toBeGreaterThanOrEqual(32);
    expect(value).not.toBe(seeded.value);
    expect(run.newVersions[JWT]).toBe(created.version);
  });

  it('the same event again, 20 copies at once and a CloudEvents copy still leave exactly one new version', async () => {
    const [first] = await versionsOf(stack.secrets(), JWT);
    const event = keyVaultEvent('SecretNearExpiry', { name: JWT, version: first!.version! });
    const statuses = await Promise.all([
      stack.deliver([event]),
      ...Array.from({ length: 20 }, () => stack.deliver([event])),
      stack.deliver(asCloudEvent(event), { cloudEvents: true }),
    ]);
    expect(statuses.every((s) => s === 202)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await versionsOf(stack.secrets(), JWT)).toHaveLength(2);
    const run = await stack.waitForRun(stack.runId(JWT, first!.version!));
    expect(run).toMatchObject({ status: 'done', attempt: 1 });
  });

  it('20 copies and a CloudEvents copy arriving together with the first delivery rotate once', async () => {
    const seeded = await seed(API, new Date(stack.emulator.clock.now().getTime() + 20 * DAY));
    const event = keyVaultEvent('SecretNearExpiry', seeded);
    const statuses = await Promise.all([
      ...Array.from({ length: 21 }, () => stack.deliver([event])),
      stack.deliver(asCloudEvent(event), { cloudEvents: true }),
    ]);
    expect(statuses.every((s) => s === 202)).toBe(true);
    const run = await stack.waitForRun(stack.runId(API, seeded.version));
    expect(run).toMatchObject({ status: 'done', attempt: 1 });
    // Copies that reached the worker while the run was queued or running were completed or put back.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await versionsOf(stack.secrets(), API)).toHaveLength(2);
  });

  it('an event naming another vault changes nothing', async () => {
    const before = state();
    const runsBefore = (await journalRuns()).length;
    const other = keyVaultEvent(
      'SecretNearExpiry',
      { name: JWT, version: 'a'.repeat(32) },
      'kv-somebody-else',
    );
    expect(await stack.deliver([other])).toBe(202);
    expect(await stack.deliver(asCloudEvent(other), { cloudEvents: true })).toBe(202);
    expect(state()).toEqual(before);
    expect((await journalRuns()).length).toBe(runsBefore);
  });

  it('acknowledges malformed, non-secret and unmanaged events without changing anything', async () => {
    const before = state();
    const runsBefore = (await journalRuns()).length;
    const unmanaged = keyVaultEvent('SecretNearExpiry', { name: 'not-in-config', version: 'b'.repeat(32) });
    const keyEvent = { ...unmanaged, eventType: 'Microsoft.KeyVault.KeyNearExpiry' };
    const malformed = { ...unmanaged, data: 'not an object' };
    for (const body of [[unmanaged], [keyEvent], [malformed], [{ hello: 'world' }]]) {
      expect(await stack.deliver(body)).toBe(202);
    }
    expect(state()).toEqual(before);
    expect((await journalRuns()).length).toBe(runsBefore);
    expect(stack.logLines.some((l) => l.includes('event rejected; acknowledged'))).toBe(true);
  });

  it('alerts secret-expired for an unmanaged secret that expired', async () => {
    const delivered = receiver.to('/slack').length;
    const event = keyVaultEvent('SecretExpired', { name: 'legacy-smtp-password', version: 'c'.repeat(32) });
    expect(await stack.deliver([event])).toBe(202);
    const alerts = receiver.to('/slack').slice(delivered);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.rawBody).toContain('legacy-smtp-password');
    // At least once: the same event again does not alert twice.
    expect(await stack.deliver([event])).toBe(202);
    expect(receiver.to('/slack').length).toBe(delivered + 1);
  });

  it('ignores the rotator’s own new versions and hands versions set by hand to the extension point', async () => {
    const own = await current(JWT);
    expect(await stack.deliver([keyVaultEvent('SecretNewVersionCreated', own)])).toBe(202);
    const byHand = await seed(SESSION);
    expect(await stack.deliver([keyVaultEvent('SecretNewVersionCreated', byHand)])).toBe(202);
    expect(stack.logLines.some((l) => l.includes('new version written by the rotator; ignored'))).toBe(true);
    expect(stack.logLines.some((l) => l.includes('new version set outside the rotator; not acted on'))).toBe(
      true,
    );
    expect(await versionsOf(stack.secrets(), SESSION)).toHaveLength(1);
  });

  it('fails the delivery (so Event Grid retries) while Key Vault is unavailable, and succeeds after', async () => {
    const session = await current(SESSION);
    const fault = stack.emulator.control.addFault({
      origin: VAULT,
      method: 'GET',
      fault: { kind: 'error', status: 503 },
    });
    const event = keyVaultEvent('SecretNearExpiry', session);
    try {
      expect(await stack.deliver([event])).toBe(500);
    } finally {
      stack.emulator.control.removeFault(fault.id);
    }
    expect(await versionsOf(stack.secrets(), SESSION)).toHaveLength(1);
    expect(await stack.deliver([event])).toBe(202);
    const run = await stack.waitForRun(stack.runId(SESSION, session.version));
    expect(run.status).toBe('done');
    expect(await versionsOf(stack.secrets(), SESSION)).toHaveLength(2);
  });

  it('rotates by itself when the emulator clock passes the 30-day mark (emulator → host → queue → worker)', async () => {
    const before = await current(JWT);
    const count = (await versionsOf(stack.secrets(), JWT)).length;
    await stack.emulator.control.subscribe(VAULT, { url: stack.webhookUrl() });
    stack.emulator.control.advanceClock({ days: 31 });
    const run = await stack.waitForRun(stack.runId(JWT, before.version));
    expect(run).toMatchObject({
      status: 'done',
      trigger: { kind: 'event', eventType: 'Microsoft.KeyVault.SecretNearExpiry' },
    });
    await waitFor(
      async () => (await versionsOf(stack.secrets(), JWT)).length === count + 1,
      'the new version',
    );
    const after = await current(JWT);
    expect(after.version).toBe(run.newVersions[JWT]);
    expect(after.expiresOn!.getTime()).toBeGreaterThan(stack.emulator.clock.now().getTime() + 59 * DAY);
    await stack.emulator.control.deliveriesIdle();
    // The new version's own SecretNewVersionCreated came back and was ignored; nothing else rotated.
    expect(await versionsOf(stack.secrets(), JWT)).toHaveLength(count + 1);
  });
});

describe('poison messages', () => {
  it('a request that fails on every attempt lands in the poison queue and alerts poison-message', async () => {
    const delivered = receiver.to('/slack').length;
    const fault = stack.emulator.control.addFault({
      origin: VAULT,
      method: 'GET',
      pathRegex: `^/secrets/${SESSION}`,
      fault: { kind: 'error', status: 503 },
    });
    try {
      // No trigger version: the worker must read the current one, which fails every time.
      await stack.app.engine.queue.enqueue({
        vault: VAULT,
        secret: SESSION,
        trigger: { kind: 'cli', caller: 'poison-test' },
        requestedAt: new Date().toISOString(),
      });
      await waitFor(
        () =>
          receiver
            .to('/slack')
            .slice(delivered)
            .some((r) => r.rawBody.includes('gave up')),
        'the poison-message alert',
        30_000,
      );
    } finally {
      stack.emulator.control.removeFault(fault.id);
    }
    const attempts = stack.logLines.filter(
      (l) => l.includes('run request failed; the queue will retry it') && l.includes(SESSION),
    );
    expect(attempts).toHaveLength(5);
  }, 40_000);

  it('records the run of a poison message as failed and the alert on it', async () => {
    // Not SESSION: the previous test's poison message names it, and a late redelivery of that message (the
    // queue's visibility timeout is 1 s here) would find this run by the same id.
    const apiToken = await current(API);
    const group = (await stack.app.engine.catalog.resolveGroup(VAULT, API))!;
    const request = {
      vault: VAULT,
      secret: API,
      triggerVersion: apiToken.version,
      trigger: { kind: 'event' as const, eventType: 'Microsoft.KeyVault.SecretNearExpiry' },
      requestedAt: new Date().toISOString(),
    };
    const run = newRunRecord({
      id: stack.runId(API, apiToken.version),
      group,
      triggerVersion: apiToken.version.toLowerCase(),
      request,
      now: stack.emulator.clock.now(),
    });
    // A worker died mid-run five times: the journal says running, the message is poison.
    await stack.app.engine.journal.create({ ...run, status: 'running', phase: 'claimed' });
    const { QueueClient } = await import('@azure/storage-queue');
    const poison = new QueueClient(stack.azurite.connectionString, 'rotation-runs-poison');
    await poison.createIfNotExists();
    await poison.sendMessage(encodeRunMessage(request));
    const failed = await stack.waitForRun(run.id);
    expect(failed).toMatchObject({
      status: 'failed',
      phase: 'claimed',
      error: { code: 'PoisonMessage', phase: 'claimed' },
    });
    expect(failed.alerts).toEqual([
      expect.objectContaining({ kind: 'poison-message', channel: 'ops-slack', status: 'sent' }),
    ]);
  });
});

describe('secrecy', () => {
  it('no log line holds a secret value or the function key', async () => {
    const values = [...seededValues, stack.functionKey];
    for (const name of [JWT, SESSION, API]) values.push((await stack.secrets().getSecret(name)).value!);
    const text = stack.logLines.join('\n');
    for (const value of values) expect(text).not.toContain(value);
    expect(text).toContain('code=[redacted]');
  });
});
