/**
 * The Event Grid webhook as the Functions runtime serves it: `/runtime/webhooks/eventgrid?functionName=X`.
 * - `OPTIONS` with `WebHook-Request-Origin`: the CloudEvents 1.0 abuse-protection handshake.
 * - `aeg-event-type: SubscriptionValidation`: answers `{ validationResponse }` without invoking anything.
 * - `aeg-event-type: Notification`: an Event Grid array (or one event), a CloudEvent
 *   (`application/cloudevents+json`) or a CloudEvents batch (`application/cloudevents-batch+json`); the
 *   handler runs once per event, in order, every event even after a failure; any failure → 500 so Event
 *   Grid retries the delivery, else 202.
 * - `aeg-event-type: Unsubscribe` → 202 (as the runtime); missing or other values → 400.
 * The key is the `code` query parameter (Azure wants the `eventgrid_extension` system key there; locally
 * the function key) or `x-functions-key`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventGridEvent } from '@azure/functions';
import type { EventGridFunctionDefinition } from '../../functions/definition.js';
import { describeError } from '../../rotation/errors.js';
import type { Logger } from '../../rotation/ports.js';
import { createInvocationContext } from './context.js';
import { hasValidKey } from './keys.js';
import {
  BodyTooLargeError,
  readBody,
  sendEmpty,
  sendError,
  sendJson,
  sendTooLarge,
  UNAUTHORIZED_MESSAGE,
} from './respond.js';
import type { InvocationTracker } from './tracker.js';

/** Event Grid's largest delivery (1 MB batch). */
export const EVENT_GRID_MAX_BODY_BYTES = 1024 * 1024;

export const EVENT_GRID_WEBHOOK_PATH = '/runtime/webhooks/eventgrid';

type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A CloudEvents 1.0 event in the Event Grid shape handlers receive (`source` → `topic`, `type` →
 * `eventType`, `time` → `eventTime`, `dataschema` → `dataVersion`); extension attributes are kept.
 */
export function cloudEventToEventGridEvent(event: JsonObject): JsonObject {
  const { source, type, time, dataschema, specversion: _specversion, data_base64, ...rest } = event;
  const data =
    rest.data === undefined && typeof data_base64 === 'string'
      ? Buffer.from(data_base64, 'base64').toString('utf8')
      : rest.data;
  return {
    ...rest,
    topic: source,
    subject: rest.subject ?? '',
    eventType: type,
    eventTime: time,
    data,
    dataVersion: typeof dataschema === 'string' ? dataschema : '',
    metadataVersion: '1',
  };
}

/**
 * The delivered JSON as the handler's event. Like the Azure runtime, the host does not validate the
 * event's fields: handlers validate (a malformed event is theirs to log and acknowledge, DESIGN.md).
 */
function asHandlerEvent(item: JsonObject): EventGridEvent {
  const shaped = typeof item.specversion === 'string' ? cloudEventToEventGridEvent(item) : item;
  return shaped as unknown as EventGridEvent;
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** Runs the handler for one delivered event; failures are logged (never their values) and reported. */
export async function invokeEventGridFunction(
  definition: EventGridFunctionDefinition,
  item: JsonObject,
  logger: Logger,
  tracker: InvocationTracker,
): Promise<boolean> {
  const context = createInvocationContext({
    functionName: definition.name,
    triggerType: 'eventGridTrigger',
    logger,
  });
  try {
    await tracker.track(Promise.resolve().then(() => definition.handler(asHandlerEvent(item), context)));
    return true;
  } catch (error) {
    logger.error('function failed', {
      functionName: definition.name,
      invocationId: context.invocationId,
      error: describeError(error),
    });
    return false;
  }
}

export interface EventGridHostOptions {
  definitions: readonly EventGridFunctionDefinition[];
  functionKey: string;
  logger: Logger;
  tracker: InvocationTracker;
}

export class EventGridWebhook {
  readonly #functions: Map<string, EventGridFunctionDefinition>;
  readonly #options: EventGridHostOptions;

  constructor(options: EventGridHostOptions) {
    this.#options = options;
    this.#functions = new Map(options.definitions.map((d) => [d.name.toLowerCase(), d]));
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'POST' && method !== 'OPTIONS') {
      sendError(res, 405, 'MethodNotAllowed', `Method ${method} is not allowed on this route.`, {
        allow: 'OPTIONS, POST',
      });
      return;
    }
    if (!hasValidKey(req.headers, url.searchParams, this.#options.functionKey)) {
      sendError(res, 401, 'Unauthorized', UNAUTHORIZED_MESSAGE);
      req.resume();
      return;
    }
    const functionName = url.searchParams.get('functionName');
    if (functionName === null || functionName === '') {
      sendError(res, 400, 'BadRequest', 'The functionName query parameter is required.');
      req.resume();
      return;
    }
    const definition = this.#functions.get(functionName.toLowerCase());
    if (!definition) {
      sendError(res, 404, 'NotFound', 'No Event Grid function has that name.');
      req.resume();
      return;
    }
    if (method === 'OPTIONS') {
      this.#abuseProtectionHandshake(req, res);
      return;
    }
    const eventType = String(req.headers['aeg-event-type'] ?? '').toLowerCase();
    if (eventType === 'unsubscribe') {
      sendEmpty(res, 202);
      req.resume();
      return;
    }
    if (eventType !== 'subscriptionvalidation' && eventType !== 'notification') {
      sendError(
        res,
        400,
        'BadRequest',
        'The aeg-event-type header must be SubscriptionValidation or Notification.',
      );
      req.resume();
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse((await readBody(req, EVENT_GRID_MAX_BODY_BYTES)).toString('utf8'));
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendTooLarge(req, res, error.limit);
        return;
      }
      if (error instanceof SyntaxError) {
        sendError(res, 400, 'BadRequest', 'The request body is not valid JSON.');
        return;
      }
      throw error;
    }
    if (eventType === 'subscriptionvalidation') {
      this.#validationHandshake(res, parsed, definition.name);
      return;
    }
    await this.#notify(req, res, parsed, definition);
  }

  #abuseProtectionHandshake(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers['webhook-request-origin'];
    const value = Array.isArray(origin) ? origin[0] : origin;
    if (value === undefined || value === '') {
      sendError(res, 400, 'BadRequest', 'The WebHook-Request-Origin header is required.');
      return;
    }
    sendEmpty(res, 200, {
      'webhook-allowed-origin': value,
      'webhook-allowed-rate': '*',
      allow: 'OPTIONS, POST',
    });
  }

  #validationHandshake(res: ServerResponse, body: unknown, functionName: string): void {
    const first = Array.isArray(body) ? body[0] : body;
    const data = isObject(first) ? first.data : undefined;
    const code = isObject(data) ? (data.validationCode ?? data.ValidationCode) : undefined;
    if (typeof code !== 'string' || code === '') {
      sendError(res, 400, 'BadRequest', 'The subscription validation event has no data.validationCode.');
      return;
    }
    this.#options.logger.info('Event Grid subscription validated', { functionName });
    sendJson(res, 200, { validationResponse: code });
  }

  async #notify(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    definition: EventGridFunctionDefinition,
  ): Promise<void> {
    const type = mediaType(req);
    if (type === 'application/cloudevents-batch+json' && !Array.isArray(body)) {
      sendError(res, 400, 'BadRequest', 'A CloudEvents batch must be a JSON array.');
      return;
    }
    const items = Array.isArray(body) ? body : [body];
    let failures = 0;
    for (const [index, item] of items.entries()) {
      if (!isObject(item)) {
        // Azure cannot bind a non-object either; retrying would never help, so acknowledge and say so.
        this.#options.logger.warn('Event Grid delivery item is not an object; skipped', {
          functionName: definition.name,
          index,
        });
        continue;
      }
      const ok = await invokeEventGridFunction(definition, item, this.#options.logger, this.#options.tracker);
      if (!ok) failures++;
    }
    if (failures > 0) {
      sendError(
        res,
        500,
        'InternalError',
        `${failures} of ${items.length} events failed; the delivery should be retried.`,
      );
      return;
    }
    sendEmpty(res, 202);
  }
}
