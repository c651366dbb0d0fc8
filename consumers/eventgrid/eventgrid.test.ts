/** Event Grid through the real `EventGridPublisherClient` against the emulator's topics module (HTTPS). */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedTopics, serveTopics } from '../../local/emulator/topics/testing.js';
import type { Alert } from '../../rotation/ports.js';
import { buildRotationMessage } from '../message.js';
import { FAST_TIMING } from '../retry.js';
import { fixedClock, mapResolver, recordingLogger, testGroup, testRun } from '../testing/fixtures.js';
import type { ConsumerDelivery } from '../types.js';
import { createEventGridConsumer } from './adapter.js';
import { alertEvents, EVENT_TYPES } from './events.js';
import { createSdkEventGridClientFactory } from './publisher.js';

let served: ServedTopics;
const accessKey = randomBytes(32).toString('base64');

beforeAll(async () => {
  served = await serveTopics([{ name: 'rotations', key1: accessKey }]);
});
afterAll(async () => {
  await served.stop();
});

const group = testGroup({
  secrets: [testGroup().secrets[0]!, { ...testGroup().secrets[0]!, name: 'openai-key-eu' }],
});
const run = testRun({
  secrets: ['openai-key', 'openai-key-eu'],
  newVersions: { 'openai-key': 'v2', 'openai-key-eu': 'w2' },
});

describe('Event Grid consumer', () => {
  it('publishes one RotationCompleted event per secret through the SDK, without values', async () => {
    const eventGrid = createSdkEventGridClientFactory({ ca: served.caCert });
    const consumer = createEventGridConsumer({
      resolveSetting: mapResolver({ 'topic-key': accessKey }),
      eventGrid,
    });
    const message = buildRotationMessage(run, group, new Date(), 'm-1');
    const delivery: ConsumerDelivery = { name: 'topic', run, group, message, attempt: 1 };
    const detail = await consumer.deliver(
      {
        type: 'eventgrid',
        endpoint: `${served.origin}/topics/rotations/api/events`,
        accessKey: { secretRef: 'topic-key' },
      },
      delivery,
    );
    expect(detail).toBe('published 2 events to Event Grid');

    const recorded = served.topics.events('rotations').map((record) => record.event);
    expect(recorded).toHaveLength(2);
    expect(recorded.map((event) => event.subject)).toEqual([
      '/vaults/kv-test/secrets/openai-key',
      '/vaults/kv-test/secrets/openai-key-eu',
    ]);
    for (const event of recorded) {
      expect(Object.keys(event).sort()).toEqual([
        'data',
        'dataVersion',
        'eventTime',
        'eventType',
        'id',
        'subject',
      ]);
      expect(event.eventType).toBe(EVENT_TYPES.completed);
      expect(event.dataVersion).toBe('1.0');
      expect(Date.parse(event.eventTime)).toBe(Date.parse('2030-01-01T00:00:05.000Z'));
    }
    expect(recorded[1]!.data).toEqual({
      runId: run.id,
      vault: 'kv-test',
      secret: 'openai-key-eu',
      secrets: ['openai-key', 'openai-key-eu'],
      group: 'openai',
      newVersion: 'w2',
      newVersions: { 'openai-key': 'v2', 'openai-key-eu': 'w2' },
      credentialId: 'key2',
      status: 'promoted',
      compromised: false,
    });
    expect(JSON.stringify(recorded)).not.toContain(accessKey);
  });

  it('fails with the 401 status when the key is wrong (not retryable)', async () => {
    const consumer = createEventGridConsumer({
      resolveSetting: mapResolver({}),
      eventGrid: createSdkEventGridClientFactory({ ca: served.caCert }),
    });
    const message = buildRotationMessage(run, group, new Date(), 'm-2');
    const error = await consumer
      .deliver(
        {
          type: 'eventgrid',
          endpoint: `${served.origin}/topics/rotations/api/events`,
          accessKey: 'wrong-key',
        },
        { name: 'topic', run, group, message, attempt: 1 },
      )
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toMatchObject({ statusCode: 401 });
  });
});

describe('Event Grid alert events', () => {
  it('maps failure and manual-action alerts to their event types, with per-secret subjects', async () => {
    const { createNotifier } = await import('../alerts/notifier.js');
    served.topics.clearEvents();
    const notifier = createNotifier({
      channels: {
        grid: { type: 'eventgrid', endpoint: `${served.origin}/topics/rotations/api/events`, accessKey },
      },
      resolveSetting: mapResolver({}),
      eventGrid: createSdkEventGridClientFactory({ ca: served.caCert }),
      clock: fixedClock(),
      log: recordingLogger(),
      timing: FAST_TIMING,
    });
    const failed: Alert = {
      kind: 'run-failed',
      severity: 'critical',
      title: 'Rotation of openai failed',
      text: 'Validation was rejected; the previous key stays current.',
      vault: 'kv-test',
      secrets: ['openai-key'],
      runId: 'run-9',
      channels: ['grid'],
    };
    const manual: Alert = {
      ...failed,
      kind: 'manual-action-required',
      severity: 'warning',
      secrets: ['groq-key'],
    };
    const paused: Alert = {
      kind: 'rotation-paused',
      severity: 'warning',
      title: 'Paused',
      text: 'Paused.',
      channels: ['grid'],
    };
    for (const alert of [failed, manual, paused]) {
      const deliveries = await notifier.send(alert);
      expect(deliveries).toMatchObject([{ channel: 'grid', status: 'sent', attempts: 1 }]);
    }
    const recorded = served.topics.events('rotations').map((record) => record.event);
    expect(recorded.map((event) => [event.eventType, event.subject])).toEqual([
      ['KeyVaultRotator.RotationFailed', '/vaults/kv-test/secrets/openai-key'],
      ['KeyVaultRotator.ManualActionRequired', '/vaults/kv-test/secrets/groq-key'],
      ['KeyVaultRotator.RotationPaused', '/rotator'],
    ]);
    expect(recorded[0]!.data).toMatchObject({ kind: 'run-failed', runId: 'run-9', secret: 'openai-key' });
    expect(alertEvents(paused, 'id-1', new Date())[0]!.id).toBe('id-1');
  });
});
