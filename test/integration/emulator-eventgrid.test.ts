/**
 * Event Grid delivery of Key Vault events from the emulator to a webhook receiver (a local HTTP server):
 * handshake first, then events as secrets change and the clock moves; retries on failure; key sets as in the
 * published examples.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EventGridEvent, type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import { emulatorRequest, emulatorSecretClient } from '../../local/emulator/testing.js';

interface Received {
  type: string | undefined;
  deliveryCount: string | undefined;
  events: EventGridEvent[];
}

/** A webhook receiver that answers the handshake and can be told to fail the next N notifications. */
class Receiver {
  readonly received: Received[] = [];
  failNext = 0;
  wrongValidationCode = false;
  #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const events = JSON.parse(Buffer.concat(chunks).toString('utf8')) as EventGridEvent[];
      const type = req.headers['aeg-event-type'] as string | undefined;
      this.received.push({
        type,
        deliveryCount: req.headers['aeg-delivery-count'] as string | undefined,
        events,
      });
      if (type === 'SubscriptionValidation') {
        const code = (events[0]!.data as { validationCode: string }).validationCode;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ validationResponse: this.wrongValidationCode ? 'nope' : code }));
        return;
      }
      if (this.failNext > 0) {
        this.failNext--;
        res.writeHead(500).end();
        return;
      }
      res.writeHead(200).end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/runtime/webhooks/eventgrid?functionName=keyVaultEvents&code=function-key-123`;
  }

  notifications(): EventGridEvent[] {
    return this.received.filter((r) => r.type === 'Notification').flatMap((r) => r.events);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

const DAY = 86_400_000;
const fixture = (name: string) =>
  JSON.parse(
    readFileSync(path.resolve(import.meta.dirname, '../fixtures/conformance/eventgrid', name), 'utf8'),
  ) as { payload: EventGridEvent };

let emulator: RunningEmulator;
let client: SecretClient;
let receiver: Receiver;
let receiverUrl: string;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'kv-events-'));
  emulator = await startEmulator({
    vaults: ['events-kv'],
    stateDir,
    startTime: new Date('2030-01-01T00:00:00Z'),
    eventDelivery: { retryDelayMs: 5, maxAttempts: 3, timeoutMs: 2000 },
  });
  client = emulatorSecretClient(emulator.vaults[0]!.url, emulator.caCert, {
    retryOptions: { maxRetries: 0 },
  });
  receiver = new Receiver();
  receiverUrl = await receiver.start();
});

afterAll(async () => {
  await emulator?.stop();
  await receiver?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

beforeEach(() => {
  receiver.received.length = 0;
  receiver.failNext = 0;
  receiver.wrongValidationCode = false;
  for (const s of emulator.control.subscriptions()) emulator.control.unsubscribe(s.id);
});

async function settled(): Promise<EventGridEvent[]> {
  await emulator.control.deliveriesIdle();
  return receiver.notifications();
}

describe('Event Grid delivery', () => {
  it('does the validation handshake first, and never shows the function key', async () => {
    const subscription = await emulator.control.subscribe('events-kv', { url: receiverUrl });
    expect(receiver.received).toHaveLength(1);
    const [handshake] = receiver.received;
    expect(handshake?.type).toBe('SubscriptionValidation');
    expect(handshake?.events[0]?.eventType).toBe('Microsoft.EventGrid.SubscriptionValidationEvent');
    expect(subscription.url).toContain('code=REDACTED');
    expect(subscription.url).not.toContain('function-key-123');
    expect(JSON.stringify(emulator.control.state())).not.toContain('function-key-123');
    expect(JSON.stringify(emulator.control.deliveries())).not.toContain('function-key-123');
  });

  it('delivers SecretNewVersionCreated with the published key sets', async () => {
    await emulator.control.subscribe('events-kv', { url: receiverUrl });
    const set = await client.setSecret('newsecret', 'value-1', {
      notBefore: new Date('2030-01-01T00:00:00Z'),
    });
    const [event] = await settled();
    const example = fixture('secret-new-version-created.event-grid-schema.json').payload;
    expect(Object.keys(event!).sort()).toEqual(Object.keys(example).sort());
    expect(Object.keys(event!.data as object).sort()).toEqual(Object.keys(example.data as object).sort());
    expect(event).toMatchObject({
      topic:
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rotator-local/providers/Microsoft.KeyVault/vaults/events-kv',
      subject: 'newsecret',
      eventType: 'Microsoft.KeyVault.SecretNewVersionCreated',
      dataVersion: '1',
      metadataVersion: '1',
      data: {
        Id: `${emulator.vaults[0]!.url}/secrets/newsecret/${set.properties.version}`,
        VaultName: 'events-kv',
        ObjectType: 'Secret',
        ObjectName: 'newsecret',
        Version: set.properties.version,
        NBF: String(Date.parse('2030-01-01T00:00:00Z') / 1000),
        EXP: null,
      },
    });
    expect(event!.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(receiver.received.map((r) => r.type)).toEqual(['SubscriptionValidation', 'Notification']);
  });

  it('fires SecretNearExpiry 30 days before exp and SecretExpired at exp, once each, as the clock advances', async () => {
    await emulator.control.subscribe('events-kv', { url: receiverUrl });
    const exp = new Date(Math.floor((emulator.control.now().getTime() + 40 * DAY) / 1000) * 1000);
    await client.setSecret('expiring', 'x', { expiresOn: exp });
    expect((await settled()).map((e) => e.eventType)).toEqual(['Microsoft.KeyVault.SecretNewVersionCreated']);

    emulator.control.advanceClock({ days: 9 });
    expect(await settled()).toHaveLength(1);
    emulator.control.advanceClock({ days: 1, minutes: 1 });
    emulator.control.advanceClock({ days: 1 });
    const afterNear = await settled();
    expect(afterNear.map((e) => e.eventType)).toEqual([
      'Microsoft.KeyVault.SecretNewVersionCreated',
      'Microsoft.KeyVault.SecretNearExpiry',
    ]);
    expect(afterNear[1]?.data).toMatchObject({ ObjectName: 'expiring', EXP: String(exp.getTime() / 1000) });

    emulator.control.advanceClock({ days: 30 });
    emulator.control.advanceClock({ hours: 1 });
    expect((await settled()).map((e) => e.eventType)).toEqual([
      'Microsoft.KeyVault.SecretNewVersionCreated',
      'Microsoft.KeyVault.SecretNearExpiry',
      'Microsoft.KeyVault.SecretExpired',
    ]);
  });

  it('fires SecretNearExpiry at once for a version created inside the window', async () => {
    await emulator.control.subscribe('events-kv', { url: receiverUrl });
    await client.setSecret('soon', 'x', { expiresOn: new Date(emulator.control.now().getTime() + 10 * DAY) });
    const types = (await settled()).map((e) => e.eventType);
    expect(types).toEqual([
      'Microsoft.KeyVault.SecretNewVersionCreated',
      'Microsoft.KeyVault.SecretNearExpiry',
    ]);
  });

  it('retries a failing receiver with backoff, so it sees the event more than once', async () => {
    await emulator.control.subscribe('events-kv', { url: receiverUrl });
    receiver.failNext = 2;
    await client.setSecret('retried', 'x');
    const events = await settled();
    expect(events).toHaveLength(3);
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    const notifications = receiver.received.filter((r) => r.type === 'Notification');
    expect(notifications.map((r) => r.deliveryCount)).toEqual(['0', '1', '2']);
    const log = emulator.control.deliveries().filter((d) => d.eventId === events[0]!.id);
    expect(log.map((d) => [d.attempt, d.status, d.outcome])).toEqual([
      [1, 500, 'retrying'],
      [2, 500, 'retrying'],
      [3, 200, 'delivered'],
    ]);
  });

  it('gives up after maxAttempts and logs the failure', async () => {
    await emulator.control.subscribe('events-kv', { url: receiverUrl });
    receiver.failNext = 5;
    await client.setSecret('dropped', 'x');
    await settled();
    const log = emulator.control.deliveries().filter((d) => d.subject === 'dropped');
    expect(log.map((d) => d.outcome)).toEqual(['retrying', 'retrying', 'failed']);
  });

  it('delivers only the subscribed event types', async () => {
    await emulator.control.subscribe('events-kv', {
      url: receiverUrl,
      eventTypes: ['Microsoft.KeyVault.SecretNearExpiry'],
    });
    await client.setSecret('filtered', 'x', {
      expiresOn: new Date(emulator.control.now().getTime() + 5 * DAY),
    });
    expect((await settled()).map((e) => e.eventType)).toEqual(['Microsoft.KeyVault.SecretNearExpiry']);
  });

  it('refuses a receiver that fails the handshake, and non-loopback receivers', async () => {
    receiver.wrongValidationCode = true;
    await expect(emulator.control.subscribe('events-kv', { url: receiverUrl })).rejects.toThrow(/handshake/);
    expect(emulator.control.subscriptions()).toEqual([]);
    await expect(
      emulator.control.subscribe('events-kv', { url: 'https://example.com/hook' }),
    ).rejects.toThrow(/loopback/);
    await expect(emulator.control.subscribe('no-such-vault', { url: receiverUrl })).rejects.toThrow(
      /No vault/,
    );
  });

  it('subscribes through the control API over HTTP', async () => {
    const response = await emulatorRequest(
      `${emulator.origin}/_emulator/vaults/events-kv/subscriptions`,
      emulator.caCert,
      {
        method: 'POST',
        body: { url: receiverUrl, eventTypes: ['Microsoft.KeyVault.SecretNewVersionCreated'] },
      },
    );
    expect(response.status).toBe(201);
    const created = response.json() as { id: string; url: string };
    expect(created.url).not.toContain('function-key-123');
    const listed = await emulatorRequest(`${emulator.origin}/_emulator/subscriptions`, emulator.caCert);
    expect((listed.json() as { value: { id: string }[] }).value.map((s) => s.id)).toEqual([created.id]);
    const bad = await emulatorRequest(
      `${emulator.origin}/_emulator/vaults/events-kv/subscriptions`,
      emulator.caCert,
      {
        method: 'POST',
        body: { url: 'http://10.0.0.1/hook' },
      },
    );
    expect(bad.status).toBe(400);
    const removed = await emulatorRequest(
      `${emulator.origin}/_emulator/subscriptions/${created.id}`,
      emulator.caCert,
      {
        method: 'DELETE',
      },
    );
    expect(removed.status).toBe(204);
  });
});
