/**
 * Parses Key Vault secret events delivered by Event Grid, in the Event Grid schema or CloudEvents 1.0,
 * one at a time (the Functions eventGrid trigger) or as a whole HTTP delivery (the webhook route).
 */
import { z } from 'zod';
import { parseJsonText } from '../config/json.js';
import { isSecretName, isVaultName } from '../config/names.js';
import { eventTime, normalizeData, optionalText, parseObjectId, unixTime, vaultFromArmId } from './data.js';
import {
  type EventParseResult,
  type EventRejection,
  type EventRejectionReason,
  type KeyVaultSecretEvent,
  SECRET_EVENT_TYPES,
  type SecretEventType,
} from './types.js';

const VERSION_PATTERN = /^[0-9a-zA-Z]{1,64}$/;
const SAFE_LABEL = /^[\w.:-]{1,128}$/;
const KEY_VAULT_PREFIX = 'microsoft.keyvault.';

const eventId = z.string().trim().min(1, { error: 'must not be empty' }).max(512, { error: 'is too long' });

const eventGridEnvelope = z.looseObject({
  id: eventId,
  eventType: z.string().trim().min(1, { error: 'must not be empty' }),
  eventTime,
  subject: optionalText,
  topic: optionalText,
  data: z.unknown(),
});

const cloudEventEnvelope = z.looseObject({
  id: eventId,
  type: z.string().trim().min(1, { error: 'must not be empty' }),
  specversion: z.literal('1.0', { error: 'must be "1.0"' }).optional(),
  time: eventTime,
  subject: optionalText,
  source: optionalText,
  data: z.unknown(),
});

/** `data` after key normalization (lowercased keys); display names for messages. */
const dataSchema = z.looseObject({
  id: optionalText,
  vaultname: optionalText,
  objecttype: optionalText,
  objectname: optionalText,
  version: optionalText,
  nbf: unixTime,
  exp: unixTime,
});
const DATA_KEY_NAMES: Record<string, string> = {
  id: 'Id',
  vaultname: 'VaultName',
  objecttype: 'ObjectType',
  objectname: 'ObjectName',
  version: 'Version',
  nbf: 'NBF',
  exp: 'EXP',
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function label(value: unknown): string | undefined {
  return typeof value === 'string' && SAFE_LABEL.test(value.trim()) ? value.trim() : undefined;
}

/** One line for all issues, e.g. `eventTime must be an ISO 8601 time; id is required`. */
function issuesText(
  issues: readonly z.core.$ZodIssue[],
  input: Record<string, unknown>,
  prefix = '',
  names: Record<string, string> = {},
): string {
  return issues
    .map((issue) => {
      const field = issue.path.map((p) => names[String(p)] ?? String(p)).join('.');
      const missing = issue.path.length === 1 && input[String(issue.path[0])] === undefined;
      const message = issue.code === 'invalid_type' && missing ? 'is required' : issue.message;
      return `${prefix}${field || 'event'} ${message.replace(/^Invalid input: /, 'has the wrong type: ')}`;
    })
    .join('; ');
}

/**
 * Parses one event as the Functions eventGrid trigger hands it over (Event Grid shape with
 * `eventType`, or CloudEvents shape with `type`/`source`). `index` is its position in a batch.
 */
export function parseSingleEvent(input: unknown, index = 0): EventParseResult {
  const reject = (reason: EventRejectionReason, message: string, extra: Partial<EventRejection> = {}) => ({
    ok: false as const,
    rejection: { index, reason, message, ...extra },
  });
  if (!isPlainObject(input)) return reject('MalformedEvent', 'an event must be a JSON object');

  const isCloudEvent = 'specversion' in input || (!('eventType' in input) && 'type' in input);
  const isEventGrid = 'eventType' in input;
  const known = { id: label(input.id), eventType: label(isCloudEvent ? input.type : input.eventType) };
  const ids: Partial<EventRejection> = {
    ...(known.id ? { id: known.id } : {}),
    ...(known.eventType ? { eventType: known.eventType } : {}),
  };
  if (!isCloudEvent && !isEventGrid) {
    return reject(
      'MalformedEvent',
      'neither an Event Grid event (no "eventType") nor a CloudEvent (no "specversion"/"type")',
      ids,
    );
  }

  let envelope: { id: string; type: string; time: Date; subject?: string; source?: string; data: unknown };
  if (isCloudEvent) {
    const parsed = cloudEventEnvelope.safeParse(input);
    if (!parsed.success) return reject('MalformedEvent', issuesText(parsed.error.issues, input), ids);
    const { id, type, time, subject, source, data } = parsed.data;
    envelope = { id, type, time, data, ...(subject ? { subject } : {}), ...(source ? { source } : {}) };
  } else {
    const parsed = eventGridEnvelope.safeParse(input);
    if (!parsed.success) return reject('MalformedEvent', issuesText(parsed.error.issues, input), ids);
    const { id, eventType: type, eventTime: time, subject, topic, data } = parsed.data;
    envelope = { id, type, time, data, ...(subject ? { subject } : {}), ...(topic ? { source: topic } : {}) };
  }

  const lowerType = envelope.type.toLowerCase();
  if (!lowerType.startsWith(KEY_VAULT_PREFIX)) {
    return reject('UnsupportedEventType', 'not a Key Vault event', ids);
  }
  const shortType = envelope.type.slice(KEY_VAULT_PREFIX.length);
  const type = SECRET_EVENT_TYPES.find((t) => t.toLowerCase() === shortType.toLowerCase());
  if (type === undefined) {
    return /^(key|certificate)/i.test(shortType)
      ? reject('NotASecret', 'a key or certificate event; only secrets are rotated', ids)
      : reject('UnsupportedEventType', 'not a secret near-expiry, expiry or new-version event', ids);
  }
  return readData(envelope, type, isCloudEvent ? 'cloudevents' : 'eventgrid', index, ids);
}

function readData(
  envelope: { id: string; type: string; time: Date; subject?: string; source?: string; data: unknown },
  type: SecretEventType,
  schema: 'eventgrid' | 'cloudevents',
  index: number,
  ids: Partial<EventRejection>,
): EventParseResult {
  const reject = (reason: EventRejectionReason, message: string) => ({
    ok: false as const,
    rejection: { index, reason, message, ...ids },
  });
  let raw = envelope.data;
  if (typeof raw === 'string') {
    // Some relays forward `data` serialized; accept it when it is a JSON object.
    const parsed = parseJsonText(raw);
    raw = parsed.ok ? parsed.value : undefined;
  }
  if (!isPlainObject(raw)) return reject('MalformedEvent', 'data is missing or not an object');
  const normalized = Object.fromEntries(normalizeData(raw));
  const fields = dataSchema.safeParse(normalized);
  if (!fields.success) {
    return reject('MalformedEvent', issuesText(fields.error.issues, normalized, 'data.', DATA_KEY_NAMES));
  }
  const data = fields.data;

  if (data.objecttype !== undefined && data.objecttype.toLowerCase() !== 'secret') {
    return reject('NotASecret', 'data.ObjectType is not "Secret"');
  }
  const fromId = parseObjectId(data.id);
  if (fromId?.collection !== undefined && fromId.collection !== 'secrets') {
    return reject('NotASecret', 'data.Id does not point at a secret');
  }

  // Name: ObjectName, else subject, else the Id URL.
  const name = data.objectname ?? envelope.subject ?? fromId?.name;
  if (name === undefined)
    return reject('MalformedEvent', 'no secret name in data.ObjectName, subject or data.Id');
  if (!isSecretName(name)) {
    return reject(
      'InvalidName',
      `the secret name (${name.length} characters) is not a Key Vault secret name`,
    );
  }
  if (fromId?.name !== undefined && fromId.name.toLowerCase() !== name.toLowerCase()) {
    return reject('InconsistentEvent', 'the secret name differs between data.ObjectName/subject and data.Id');
  }
  // Key Vault sets `subject` to the secret name: an event whose subject names another secret is forged.
  const subject = envelope.subject?.trim();
  if (subject && data.objectname !== undefined && subject.toLowerCase() !== data.objectname.toLowerCase()) {
    return reject('InconsistentEvent', 'the secret name differs between data.ObjectName and subject');
  }

  const version = data.version ?? fromId?.version;
  if (version === undefined) return reject('MalformedEvent', 'no secret version in data.Version or data.Id');
  if (!VERSION_PATTERN.test(version))
    return reject('InvalidVersion', 'the version is not a Key Vault version id');
  if (fromId?.version !== undefined && fromId.version.toLowerCase() !== version.toLowerCase()) {
    return reject('InconsistentEvent', 'the version differs between data.Version and data.Id');
  }

  const armVault = vaultFromArmId(envelope.source);
  const vault = data.vaultname ?? armVault ?? fromId?.vault;
  if (vault === undefined)
    return reject('MalformedEvent', 'no vault name in data.VaultName, topic/source or data.Id');
  if (!isVaultName(vault)) return reject('InvalidVault', 'the vault name is not a Key Vault name');
  for (const other of [armVault, fromId?.vault]) {
    if (other !== undefined && other.toLowerCase() !== vault.toLowerCase()) {
      return reject(
        'InconsistentEvent',
        'the vault differs between data.VaultName, topic/source and data.Id',
      );
    }
  }

  const event: KeyVaultSecretEvent = {
    id: envelope.id,
    type,
    eventType: envelope.type,
    schema,
    vault: vault.toLowerCase(),
    objectType: 'Secret',
    name,
    version,
    eventTime: envelope.time,
    ...(data.nbf ? { nbf: data.nbf } : {}),
    ...(data.exp ? { exp: data.exp } : {}),
    ...(envelope.source ? { source: envelope.source } : {}),
  };
  return { ok: true, event };
}
