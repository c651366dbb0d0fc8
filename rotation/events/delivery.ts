/**
 * A whole Event Grid webhook delivery: a batch or a single event in either schema, or the
 * subscription-validation handshake.
 */
import { parseJsonText } from '../config/json.js';
import { normalizeData } from './data.js';
import { parseSingleEvent } from './parse.js';
import type { EventRejection, HeaderSource, KeyVaultDelivery, KeyVaultSecretEvent } from './types.js';

/** Event Grid delivers at most 5,000 events per batch. */
export const MAX_EVENTS_PER_DELIVERY = 5000;
const VALIDATION_EVENT = 'microsoft.eventgrid.subscriptionvalidationevent';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function readHeader(headers: HeaderSource | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof headers.get === 'function')
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  for (const [k, v] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

function decodeBody(body: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = Buffer.from(body).toString('utf8');
  else if (body instanceof ArrayBuffer) text = Buffer.from(body).toString('utf8');
  if (text === undefined) return { ok: true, value: body };
  const parsed = parseJsonText(text);
  if (parsed.ok) return parsed;
  const { line, column, message } = parsed.problem;
  return { ok: false, message: `the body is not JSON (line ${line}, column ${column}: ${message})` };
}

/**
 * Parses a whole webhook delivery: Event Grid schema (an array, or one object), CloudEvents 1.0
 * (`application/cloudevents+json` single event or `application/cloudevents-batch+json` array), or
 * Event Grid's subscription-validation handshake (`aeg-event-type: SubscriptionValidation`).
 * `body` may be parsed JSON, a string or bytes. Never throws.
 */
export function parseKeyVaultDelivery(body: unknown, headers?: HeaderSource): KeyVaultDelivery {
  const malformed = (message: string): KeyVaultDelivery => ({
    kind: 'malformed',
    rejection: { index: -1, reason: 'MalformedDelivery', message },
  });
  const decoded = decodeBody(body);
  if (!decoded.ok) return malformed(decoded.message);
  const value = decoded.value;
  if (!Array.isArray(value) && !isPlainObject(value)) {
    return malformed('the body must be an event object or a list of events');
  }
  const items: unknown[] = Array.isArray(value) ? value : [value];
  if (items.length > MAX_EVENTS_PER_DELIVERY) {
    return malformed(
      `the delivery holds ${items.length} events; Event Grid sends at most ${MAX_EVENTS_PER_DELIVERY}`,
    );
  }

  const first = items[0];
  const aegType = readHeader(headers, 'aeg-event-type')?.trim().toLowerCase();
  const firstType =
    isPlainObject(first) && typeof first.eventType === 'string' ? first.eventType.toLowerCase() : '';
  if (aegType === 'subscriptionvalidation' || firstType === VALIDATION_EVENT) {
    const data = isPlainObject(first) && isPlainObject(first.data) ? normalizeData(first.data) : undefined;
    const code = data?.get('validationcode');
    if (typeof code !== 'string' || code === '')
      return malformed('the validation event carries no data.validationCode');
    const url = data?.get('validationurl');
    return typeof url === 'string' && url !== ''
      ? { kind: 'validation', validationCode: code, validationUrl: url }
      : { kind: 'validation', validationCode: code };
  }

  const events: KeyVaultSecretEvent[] = [];
  const rejections: EventRejection[] = [];
  items.forEach((item, index) => {
    const result = parseSingleEvent(item, index);
    if (result.ok) events.push(result.event);
    else rejections.push(result.rejection);
  });
  return { kind: 'notification', events, rejections };
}
