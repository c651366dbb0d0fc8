import type { EventGridEvent, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FunctionDefinition } from '../../functions/definition.js';
import { type RunningLocalHost, startLocalHost } from './index.js';
import { randomKey, recordingLogger } from './test-support.js';

const functionKey = randomKey();
const logger = recordingLogger();
const received: { event: EventGridEvent; context: InvocationContext }[] = [];
let failSubjects = new Set<string>();

const definitions: FunctionDefinition[] = [
  {
    name: 'keyVaultEvents',
    trigger: { type: 'eventGrid' },
    handler: (event: EventGridEvent, context: InvocationContext) => {
      received.push({ event, context });
      if (failSubjects.has(event.subject)) throw new Error(`storage down for ${event.subject}`);
    },
  },
  {
    name: 'other',
    trigger: { type: 'http', methods: ['GET'], route: 'other', authLevel: 'anonymous' },
    handler: () => ({ status: 200 }),
  },
];

/** Key Vault event examples (Azure/azure-rest-api-specs, Microsoft.KeyVault 2018-01-01 examples). */
function eventGridEvent(subject: string): Record<string, unknown> {
  return {
    id: `id-${subject}`,
    topic:
      '/subscriptions/{subscription-id}/resourceGroups/sample-rg/providers/Microsoft.KeyVault/vaults/sample-kv',
    subject,
    eventType: 'Microsoft.KeyVault.SecretNearExpiry',
    eventTime: '2019-07-25T01:08:33.1036736Z',
    data: {
      Id: `https://sample-kv.vault.azure.net/secrets/${subject}/ee059b2bb5bc48398a53b168c6cdcb10`,
      VaultName: 'sample-kv',
      ObjectType: 'Secret',
      ObjectName: subject,
      Version: 'ee059b2bb5bc48398a53b168c6cdcb10',
      NBF: '1559081980',
      EXP: '1559082102',
    },
    dataVersion: '1',
    metadataVersion: '1',
  };
}

function cloudEvent(subject: string): Record<string, unknown> {
  const {
    topic,
    eventType,
    eventTime,
    dataVersion: _d,
    metadataVersion: _m,
    ...rest
  } = eventGridEvent(subject);
  return { ...rest, source: topic, type: eventType, time: eventTime, specversion: '1.0' };
}

let host: RunningLocalHost;
let webhook: string;

beforeAll(async () => {
  host = await startLocalHost({ definitions, port: 0, functionKey, logger, settings: {} });
  webhook = `${host.url}/runtime/webhooks/eventgrid?functionName=keyVaultEvents&code=${encodeURIComponent(functionKey)}`;
});

afterAll(async () => {
  await host?.stop();
});

beforeEach(() => {
  received.length = 0;
  failSubjects = new Set();
});

function deliver(body: unknown, headers: Record<string, string>, url = webhook): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('Event Grid schema', () => {
  it('answers the subscription validation handshake without invoking the function', async () => {
    const res = await deliver(
      [
        {
          id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
          topic: '/subscriptions/x',
          subject: '',
          data: {
            validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6',
            validationUrl: 'https://example.invalid',
          },
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          eventTime: '2018-01-25T22:12:19.4556811Z',
          metadataVersion: '1',
          dataVersion: '1',
        },
      ],
      { 'aeg-event-type': 'SubscriptionValidation' },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    expect(received).toHaveLength(0);
  });

  it('invokes the handler once per event of a notification and answers 202', async () => {
    const res = await deliver([eventGridEvent('a'), eventGridEvent('b')], {
      'aeg-event-type': 'Notification',
    });
    expect(res.status).toBe(202);
    expect(received.map((r) => r.event.subject)).toEqual(['a', 'b']);
    expect(received[0]?.event).toEqual(eventGridEvent('a'));
    expect(received[0]?.context.functionName).toBe('keyVaultEvents');
    expect(received[0]?.context.invocationId).not.toBe(received[1]?.context.invocationId);
  });

  it('processes every event of a batch and answers 500 when one failed, so Event Grid retries', async () => {
    failSubjects = new Set(['b']);
    const res = await deliver([eventGridEvent('a'), eventGridEvent('b'), eventGridEvent('c')], {
      'aeg-event-type': 'Notification',
    });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'InternalError' } });
    expect(text).not.toContain('storage down');
    expect(received.map((r) => r.event.subject)).toEqual(['a', 'b', 'c']);
  });

  it('answers 400 when aeg-event-type is missing or unknown', async () => {
    expect((await deliver([eventGridEvent('a')], {})).status).toBe(400);
    expect((await deliver([eventGridEvent('a')], { 'aeg-event-type': 'Surprise' })).status).toBe(400);
    expect(received).toHaveLength(0);
  });

  it('answers 400 for malformed JSON and 413 over 1 MB', async () => {
    expect((await deliver('[{', { 'aeg-event-type': 'Notification' })).status).toBe(400);
    const big = [{ ...eventGridEvent('big'), data: { pad: 'x'.repeat(1024 * 1024) } }];
    const res = await deliver(big, { 'aeg-event-type': 'Notification' });
    expect(res.status).toBe(413);
    expect(received).toHaveLength(0);
  });
});

describe('CloudEvents 1.0 schema', () => {
  it('accepts a single structured CloudEvent and hands the handler the Event Grid shape', async () => {
    const res = await deliver(cloudEvent('single'), {
      'aeg-event-type': 'Notification',
      'content-type': 'application/cloudevents+json; charset=utf-8',
    });
    expect(res.status).toBe(202);
    expect(received).toHaveLength(1);
    const event = received[0]!.event;
    expect(event).toMatchObject({
      id: 'id-single',
      topic: eventGridEvent('single').topic,
      subject: 'single',
      eventType: 'Microsoft.KeyVault.SecretNearExpiry',
      eventTime: '2019-07-25T01:08:33.1036736Z',
      data: eventGridEvent('single').data,
    });
  });

  it('accepts a CloudEvents batch', async () => {
    const res = await deliver([cloudEvent('x'), cloudEvent('y')], {
      'aeg-event-type': 'Notification',
      'content-type': 'application/cloudevents-batch+json',
    });
    expect(res.status).toBe(202);
    expect(received.map((r) => r.event.eventType)).toEqual([
      'Microsoft.KeyVault.SecretNearExpiry',
      'Microsoft.KeyVault.SecretNearExpiry',
    ]);
  });

  it('answers the WebHook-Request-Origin OPTIONS handshake', async () => {
    const res = await fetch(webhook, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    expect(received).toHaveLength(0);
  });
});

describe('keys and function names', () => {
  it('requires the key (code or x-functions-key)', async () => {
    const bare = `${host.url}/runtime/webhooks/eventgrid?functionName=keyVaultEvents`;
    expect((await deliver([eventGridEvent('a')], { 'aeg-event-type': 'Notification' }, bare)).status).toBe(
      401,
    );
    expect(
      (await deliver([eventGridEvent('a')], { 'aeg-event-type': 'Notification' }, `${bare}&code=bad`)).status,
    ).toBe(401);
    const withHeader = await deliver(
      [eventGridEvent('a')],
      { 'aeg-event-type': 'Notification', 'x-functions-key': functionKey },
      bare,
    );
    expect(withHeader.status).toBe(202);
    expect(received).toHaveLength(1);
  });

  it('answers 404 for an unknown or non-Event Grid function and 405 for GET', async () => {
    const url = (name: string) =>
      `${host.url}/runtime/webhooks/eventgrid?functionName=${name}&code=${functionKey}`;
    expect((await deliver([], { 'aeg-event-type': 'Notification' }, url('nope'))).status).toBe(404);
    expect((await deliver([], { 'aeg-event-type': 'Notification' }, url('other'))).status).toBe(404);
    const get = await fetch(url('keyVaultEvents'));
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('OPTIONS, POST');
  });
});
