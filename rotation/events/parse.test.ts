import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type EventRejectionReason,
  type KeyVaultSecretEvent,
  parseKeyVaultDelivery,
  parseSingleEvent,
} from './index.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/conformance/eventgrid/', import.meta.url));
const fixtures = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({
    file,
    payload: (JSON.parse(readFileSync(FIXTURES + file, 'utf8')) as { payload: unknown }).payload,
  }));

const VERSION = 'ee059b2bb5bc48398a53b168c6cdcb10';
const TOPIC =
  '/subscriptions/{subscription-id}/resourceGroups/sample-rg/providers/Microsoft.KeyVault/vaults/sample-kv';
const ID_URL = `https://sample-kv.vault.azure.net/secrets/newsecret/${VERSION}`;

const expected = {
  id: '00eccf70-95a7-4e7c-8299-2eb17ee9ad64',
  type: 'SecretNewVersionCreated',
  eventType: 'Microsoft.KeyVault.SecretNewVersionCreated',
  vault: 'sample-kv',
  objectType: 'Secret',
  name: 'newsecret',
  version: VERSION,
  nbf: new Date(1559081980 * 1000),
  exp: new Date(1559082102 * 1000),
  eventTime: new Date('2019-07-25T01:08:33.103Z'),
  source: TOPIC,
};

/** A spec-shaped Event Grid event to bend in each test. */
function eventGrid(
  data: Record<string, unknown> = {},
  envelope: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: '00eccf70-95a7-4e7c-8299-2eb17ee9ad64',
    topic: TOPIC,
    subject: 'newsecret',
    eventType: 'Microsoft.KeyVault.SecretNewVersionCreated',
    eventTime: '2019-07-25T01:08:33.1036736Z',
    data: {
      Id: ID_URL,
      VaultName: 'sample-kv',
      ObjectType: 'Secret',
      ObjectName: 'newsecret',
      Version: VERSION,
      NBF: '1559081980',
      EXP: '1559082102',
      ...data,
    },
    dataVersion: '1',
    metadataVersion: '1',
    ...envelope,
  };
}

function parsed(event: unknown): KeyVaultSecretEvent {
  const result = parseSingleEvent(event);
  if (!result.ok) throw new Error(`rejected: ${result.rejection.reason}: ${result.rejection.message}`);
  return result.event;
}

function rejected(event: unknown): { reason: EventRejectionReason; message: string } {
  const result = parseSingleEvent(event);
  if (result.ok) throw new Error('expected a rejection');
  return { reason: result.rejection.reason, message: result.rejection.message };
}

describe('conformance examples', () => {
  it('has every Key Vault example', () => {
    expect(fixtures.map((f) => f.file).sort()).toEqual([
      'docs-2020-secret-new-version-created.event-grid-schema.json',
      'docs-secret-new-version-created.cloud-events-schema.json',
      'docs-secret-new-version-created.event-grid-schema.json',
      'secret-new-version-created.cloud-events-schema.json',
      'secret-new-version-created.event-grid-schema.json',
    ]);
  });

  it.each(fixtures)('$file parses to the right secret', ({ file, payload }) => {
    const cloud = file.includes('cloud-events');
    const headers = {
      'Content-Type': cloud ? 'application/cloudevents+json' : 'application/json',
      'aeg-event-type': 'Notification',
    };
    for (const body of [payload, JSON.stringify(payload), Buffer.from(JSON.stringify(payload))]) {
      const delivery = parseKeyVaultDelivery(body, headers);
      expect(delivery).toEqual({
        kind: 'notification',
        events: [{ ...expected, schema: cloud ? 'cloudevents' : 'eventgrid' }],
        rejections: [],
      });
    }
    const single = Array.isArray(payload) ? payload[0] : payload;
    expect(parsed(single)).toMatchObject({ name: 'newsecret', version: VERSION, vault: 'sample-kv' });
  });
});

describe('tolerance of Key Vault quirks', () => {
  it('matches data keys case-insensitively and trimmed, trims values', () => {
    const event = eventGrid();
    event.data = {
      ' id': ID_URL,
      VAULTNAME: ' Sample-KV ',
      objecttype: 'secret',
      'objectName ': ' newsecret ',
      'Version ': ` ${VERSION}\t`,
      nbf: 1559081980,
      Exp: ' 1559082102 ',
    };
    expect(parsed(event)).toEqual({ ...expected, schema: 'eventgrid' });
  });

  it.each([
    ['a number', 1559082102, new Date(1559082102 * 1000)],
    ['null', null, undefined],
    ['empty', '', undefined],
    ['an ISO date', '2019-05-28T22:21:42Z', new Date('2019-05-28T22:21:42Z')],
  ])('EXP as %s', (_label, exp, date) => {
    expect(parsed(eventGrid({ EXP: exp })).exp).toEqual(date);
  });

  it('recognises near-expiry and expired events, any casing of the type', () => {
    expect(parsed(eventGrid({}, { eventType: 'Microsoft.KeyVault.SecretNearExpiry' })).type).toBe(
      'SecretNearExpiry',
    );
    expect(parsed(eventGrid({}, { eventType: 'microsoft.keyvault.secretexpired' })).type).toBe(
      'SecretExpired',
    );
  });

  it('falls back to subject, then the Id URL, for the name; to the Id for the version', () => {
    expect(parsed(eventGrid({ ObjectName: undefined })).name).toBe('newsecret');
    expect(parsed(eventGrid({ ObjectName: null, Version: null }, { subject: undefined }))).toMatchObject({
      name: 'newsecret',
      version: VERSION,
    });
  });

  it('finds the vault in the topic, or the Id host; keeps a loopback Id with VaultName', () => {
    expect(parsed(eventGrid({ VaultName: undefined })).vault).toBe('sample-kv');
    expect(parsed(eventGrid({ VaultName: undefined }, { topic: undefined })).vault).toBe('sample-kv');
    const local = parsed(
      eventGrid(
        { VaultName: 'KV-Rotator-Demo', Id: `https://127.0.0.1:50123/secrets/newsecret/${VERSION}` },
        { topic: undefined },
      ),
    );
    expect(local.vault).toBe('kv-rotator-demo');
  });

  it('accepts a serialized data object', () => {
    const event = eventGrid();
    event.data = JSON.stringify(event.data);
    expect(parsed(event).name).toBe('newsecret');
  });
});

describe('rejections', () => {
  it.each([
    ['null', null],
    ['a number', 42],
    ['a string', 'event'],
    ['a list', []],
  ])('a non-object event (%s)', (_label, input) => {
    expect(rejected(input)).toEqual({ reason: 'MalformedEvent', message: 'an event must be a JSON object' });
  });

  it('neither schema', () => {
    expect(rejected({ id: 'x', data: {} }).reason).toBe('MalformedEvent');
  });

  it('missing or non-object data', () => {
    expect(rejected(eventGrid({}, { data: undefined }))).toEqual({
      reason: 'MalformedEvent',
      message: 'data is missing or not an object',
    });
    expect(rejected(eventGrid({}, { data: ['newsecret'] })).reason).toBe('MalformedEvent');
    expect(rejected(eventGrid({}, { data: 'not json' })).reason).toBe('MalformedEvent');
  });

  it('wrong types in the envelope and in data, all named', () => {
    expect(rejected(eventGrid({}, { eventTime: 42, id: undefined }))).toEqual({
      reason: 'MalformedEvent',
      message: 'id is required; eventTime has the wrong type: expected string, received number',
    });
    expect(rejected(eventGrid({}, { eventTime: 'yesterday' })).message).toBe(
      'eventTime must be an ISO 8601 time',
    );
    expect(rejected(eventGrid({ NBF: { seconds: 1 }, EXP: 'soon', ObjectName: 7 }))).toEqual({
      reason: 'MalformedEvent',
      message:
        'data.ObjectName must be text; data.NBF must be Unix seconds or an ISO date; data.EXP must be Unix seconds or an ISO date',
    });
  });

  it('no name or no version anywhere', () => {
    const noName = eventGrid({ ObjectName: undefined, Id: undefined }, { subject: undefined });
    expect(rejected(noName).reason).toBe('MalformedEvent');
    expect(rejected(eventGrid({ Version: undefined, Id: undefined })).message).toBe(
      'no secret version in data.Version or data.Id',
    );
    expect(rejected(eventGrid({ VaultName: undefined, Id: undefined }, { topic: undefined })).message).toBe(
      'no vault name in data.VaultName, topic/source or data.Id',
    );
  });

  it.each([
    ['oversized', 'a'.repeat(128)],
    ['unicode', 'sécret'],
    ['path traversal', '../../etc/passwd'],
    ['a slash', 'secrets/newsecret'],
    ['an encoded slash', '..%2Fetc'],
    ['whitespace inside', 'new secret'],
  ])('an invalid secret name (%s) is rejected without being echoed', (_label, name) => {
    const result = rejected(eventGrid({ ObjectName: name, Id: undefined }));
    expect(result.reason).toBe('InvalidName');
    expect(result.message).toMatch(/^the secret name \(\d+ characters\) is not a Key Vault secret name$/);
  });

  it('path traversal through the Id URL', () => {
    const id = `https://sample-kv.vault.azure.net/secrets/..%2F..%2Fkeys%2Fx/${VERSION}`;
    expect(rejected(eventGrid({ ObjectName: undefined, Id: id }, { subject: undefined })).reason).toBe(
      'InvalidName',
    );
  });

  it('invalid version and vault names', () => {
    expect(rejected(eventGrid({ Version: '../1', Id: undefined })).reason).toBe('InvalidVersion');
    expect(rejected(eventGrid({ Version: 'v'.repeat(65), Id: undefined })).reason).toBe('InvalidVersion');
    expect(rejected(eventGrid({ VaultName: 'kv_with_underscore' }, { topic: undefined })).reason).toBe(
      'InvalidVault',
    );
  });

  it('fields that contradict each other', () => {
    expect(rejected(eventGrid({ ObjectName: 'othersecret' })).reason).toBe('InconsistentEvent');
    expect(rejected(eventGrid({ Version: 'ffff9b2bb5bc48398a53b168c6cdcb10' })).reason).toBe(
      'InconsistentEvent',
    );
    expect(rejected(eventGrid({ VaultName: 'other-kv' })).reason).toBe('InconsistentEvent');
  });

  it('keys, certificates and non-secret objects', () => {
    const key = eventGrid(
      { Id: `https://sample-kv.vault.azure.net/keys/k/${VERSION}`, ObjectType: 'Key' },
      { eventType: 'Microsoft.KeyVault.KeyNearExpiry' },
    );
    expect(rejected(key)).toEqual({
      reason: 'NotASecret',
      message: 'a key or certificate event; only secrets are rotated',
    });
    expect(rejected(eventGrid({ ObjectType: 'Certificate' })).reason).toBe('NotASecret');
    expect(
      rejected(eventGrid({ Id: `https://sample-kv.vault.azure.net/keys/newsecret/${VERSION}` })).reason,
    ).toBe('NotASecret');
  });

  it('other event types', () => {
    expect(rejected(eventGrid({}, { eventType: 'Microsoft.Storage.BlobCreated' })).reason).toBe(
      'UnsupportedEventType',
    );
    expect(rejected(eventGrid({}, { eventType: 'Microsoft.KeyVault.VaultAccessPolicyChanged' })).reason).toBe(
      'UnsupportedEventType',
    );
  });

  it('carries the event id and type when they are safe to log', () => {
    const result = parseSingleEvent(eventGrid({}, { eventType: 'Microsoft.KeyVault.KeyExpired' }), 3);
    expect(result).toMatchObject({
      ok: false,
      rejection: {
        index: 3,
        id: expected.id,
        eventType: 'Microsoft.KeyVault.KeyExpired',
        reason: 'NotASecret',
      },
    });
  });
});

describe('deliveries', () => {
  const cloud = (data: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) => {
    const { eventType, eventTime, topic, dataVersion: _dv, metadataVersion: _mv, ...rest } = eventGrid(data);
    return { ...rest, type: eventType, time: eventTime, source: topic, specversion: '1.0', ...envelope };
  };

  it('a CloudEvents batch with good and bad events', () => {
    const body = [
      cloud(),
      cloud({}, { type: 'Microsoft.KeyVault.SecretNearExpiry', id: 'e2', subject: 'othersecret' }),
      cloud({ ObjectName: undefined, Id: undefined }, { id: 'e3', subject: 'second-secret' }),
      cloud({}, { specversion: '0.3', id: 'e4' }),
      'junk',
    ];
    const delivery = parseKeyVaultDelivery(body, {
      'content-type': 'application/cloudevents-batch+json; charset=utf-8',
    });
    expect(delivery.kind).toBe('notification');
    if (delivery.kind !== 'notification') return;
    expect(delivery.events.map((e) => [e.schema, e.type, e.name])).toEqual([
      ['cloudevents', 'SecretNewVersionCreated', 'newsecret'],
      ['cloudevents', 'SecretNewVersionCreated', 'second-secret'],
    ]);
    expect(delivery.rejections).toEqual([
      {
        index: 1,
        id: 'e2',
        eventType: 'Microsoft.KeyVault.SecretNearExpiry',
        reason: 'InconsistentEvent',
        message: 'the secret name differs between data.ObjectName and subject',
      },
      {
        index: 3,
        id: 'e4',
        eventType: 'Microsoft.KeyVault.SecretNewVersionCreated',
        reason: 'MalformedEvent',
        message: 'specversion must be "1.0"',
      },
      { index: 4, reason: 'MalformedEvent', message: 'an event must be a JSON object' },
    ]);
  });

  it('answers the subscription-validation handshake', () => {
    const body = [
      {
        id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
        topic: TOPIC,
        subject: '',
        data: {
          validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6',
          validationUrl: 'https://rp-eastus2.eventgrid.azure.net/x',
        },
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        eventTime: '2018-01-25T22:12:19.4556811Z',
        metadataVersion: '1',
        dataVersion: '1',
      },
    ];
    expect(parseKeyVaultDelivery(body, new Headers({ 'Aeg-Event-Type': 'SubscriptionValidation' }))).toEqual({
      kind: 'validation',
      validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6',
      validationUrl: 'https://rp-eastus2.eventgrid.azure.net/x',
    });
    expect(parseKeyVaultDelivery(body, {}).kind).toBe('validation');
    expect(
      parseKeyVaultDelivery([{ eventType: 'x' }], { 'aeg-event-type': ['SubscriptionValidation'] }),
    ).toMatchObject({
      kind: 'malformed',
      rejection: { reason: 'MalformedDelivery' },
    });
  });

  it('rejects bodies that are not deliveries', () => {
    expect(parseKeyVaultDelivery('{"id": ', {})).toEqual({
      kind: 'malformed',
      rejection: {
        index: -1,
        reason: 'MalformedDelivery',
        message: 'the body is not JSON (line 1, column 8: expected a value; the file ends too early)',
      },
    });
    expect(parseKeyVaultDelivery(42).kind).toBe('malformed');
    expect(parseKeyVaultDelivery(null).kind).toBe('malformed');
    expect(parseKeyVaultDelivery(new Array(5001).fill(eventGrid())).kind).toBe('malformed');
    expect(parseKeyVaultDelivery([])).toEqual({ kind: 'notification', events: [], rejections: [] });
  });
});
