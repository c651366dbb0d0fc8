/**
 * The emulator's Event Grid custom topics: accepts publishes (`POST /topics/{topic}/api/events`, Event Grid
 * schema, `aeg-sas-key` auth) as `EventGridPublisherClient` sends them, and records the events for tests
 * (`GET /_emulator/topics/{topic}/events`).
 *
 * Topics may be declared (`declare()` or `PUT /_emulator/topics/{topic}`) with a key; a topic that was never
 * declared is created on its first publish and adopts the key presented then, so a local `rotation.json`
 * works without a setup step while a wrong key is still refused afterwards.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { EmulatorContext, EmulatorModule, EmulatorRequest, EmulatorResponse, Route } from '../types.js';

/** One event as published (Event Grid schema). */
export interface TopicEvent {
  id: string;
  eventType: string;
  subject: string;
  eventTime: string;
  dataVersion: string;
  data?: unknown;
  topic?: string;
  metadataVersion?: string;
}

export interface RecordedTopicEvent {
  topic: string;
  event: TopicEvent;
  /** Emulator clock time the publish arrived (ISO). */
  receivedAt: string;
  /** Wall-clock time the publish arrived (ISO). */
  realAt: string;
}

export interface TopicInfo {
  name: string;
  /** The URL to give `EventGridPublisherClient` (`…/topics/<name>/api/events`). */
  endpoint: string;
  key1: string;
  key2: string;
}

export interface TopicDeclaration {
  name: string;
  /** Generated (base64 of 32 random bytes) when absent. */
  key1?: string;
  key2?: string;
}

export interface TopicsModule extends EmulatorModule {
  /** Control routes under `/_emulator/topics…` (mount with the control API). */
  controlRoutes: Route[];
  /** Declares (or re-declares, replacing keys but keeping events) a topic. */
  declare(decl: TopicDeclaration): TopicInfo;
  /** Events recorded for a topic, oldest first (a copy); empty for an unknown topic. */
  events(topic: string): RecordedTopicEvent[];
  /** Forgets recorded events (of one topic, or all). */
  clearEvents(topic?: string): void;
  list(): TopicInfo[];
}

/** Event Grid's limits: 1 MB per publish, and we keep at most this many events per topic. */
const MAX_RECORDED_PER_TOPIC = 1000;
const TOPIC_NAME = /^[a-zA-Z0-9-]{3,50}$/;

interface TopicState {
  name: string;
  keys: [string, string];
  events: RecordedTopicEvent[];
}

function eventGridError(status: number, code: string, message: string): EmulatorResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: { error: { code, message } },
  };
}

function json(status: number, body: unknown): EmulatorResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body };
}

function header(req: EmulatorRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sameKey(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function newKey(): string {
  return randomBytes(32).toString('base64');
}

/** Checks one event of an Event Grid schema batch; returns a problem or undefined. */
function eventProblem(value: unknown, index: number): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return `events[${index}] is not an object`;
  const event = value as Record<string, unknown>;
  for (const field of ['id', 'subject', 'eventType', 'eventTime'] as const) {
    if (typeof event[field] !== 'string' || event[field] === '') {
      return `events[${index}].${field} is required and must be a non-empty string`;
    }
  }
  if (Number.isNaN(Date.parse(event.eventTime as string)))
    return `events[${index}].eventTime is not a valid time`;
  if (event.dataVersion !== undefined && typeof event.dataVersion !== 'string') {
    return `events[${index}].dataVersion must be a string`;
  }
  return undefined;
}

export function createTopicsModule(
  ctx: EmulatorContext,
  declarations: TopicDeclaration[] = [],
): TopicsModule {
  const topics = new Map<string, TopicState>();
  const info = (state: TopicState): TopicInfo => ({
    name: state.name,
    endpoint: `${ctx.origin()}/topics/${state.name}/api/events`,
    key1: state.keys[0],
    key2: state.keys[1],
  });

  const declare = (decl: TopicDeclaration): TopicInfo => {
    if (!TOPIC_NAME.test(decl.name)) {
      throw new Error(`Invalid topic name '${decl.name}': 3-50 letters, digits and hyphens.`);
    }
    const key = decl.name.toLowerCase();
    const existing = topics.get(key);
    const state: TopicState = {
      name: existing?.name ?? decl.name,
      keys: [decl.key1 ?? newKey(), decl.key2 ?? newKey()],
      events: existing?.events ?? [],
    };
    topics.set(key, state);
    return info(state);
  };
  for (const decl of declarations) declare(decl);

  const publish = (req: EmulatorRequest, params: Record<string, string>): EmulatorResponse => {
    const name = params.topic ?? '';
    if (!TOPIC_NAME.test(name)) return eventGridError(404, 'NotFound', `Topic '${name}' does not exist.`);
    if (!req.url.searchParams.get('api-version')) {
      return eventGridError(400, 'BadRequest', "The 'api-version' query parameter is required.");
    }
    const presented = header(req, 'aeg-sas-key');
    if (presented === undefined || presented === '') {
      const other = header(req, 'aeg-sas-token') ?? header(req, 'authorization');
      return eventGridError(
        401,
        'Unauthorized',
        other === undefined
          ? "The request is missing the 'aeg-sas-key' header."
          : "The emulator accepts only 'aeg-sas-key' authorization.",
      );
    }
    const contentType = header(req, 'content-type') ?? '';
    if (contentType.toLowerCase().includes('cloudevents')) {
      return eventGridError(400, 'BadRequest', 'This topic accepts the Event Grid schema, not CloudEvents.');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.body.toString('utf8'));
    } catch {
      return eventGridError(400, 'BadRequest', 'The request body is not valid JSON.');
    }
    if (!Array.isArray(parsed)) {
      return eventGridError(400, 'BadRequest', 'The request body must be a JSON array of events.');
    }
    if (parsed.length === 0) return eventGridError(400, 'BadRequest', 'The request contains no events.');
    for (const [index, value] of parsed.entries()) {
      const problem = eventProblem(value, index);
      if (problem !== undefined) return eventGridError(400, 'BadRequest', problem);
    }

    let state = topics.get(name.toLowerCase());
    if (state === undefined) {
      // First publish to an undeclared topic: create it with the presented key.
      state = { name, keys: [presented, newKey()], events: [] };
      topics.set(name.toLowerCase(), state);
    } else if (!state.keys.some((key) => sameKey(key, presented))) {
      return eventGridError(401, 'Unauthorized', 'The access key is not valid for this topic.');
    }
    const receivedAt = ctx.clock.now().toISOString();
    const realAt = new Date().toISOString();
    for (const event of parsed as TopicEvent[]) {
      state.events.push({
        topic: state.name,
        event: { ...event, dataVersion: event.dataVersion ?? '' },
        receivedAt,
        realAt,
      });
    }
    if (state.events.length > MAX_RECORDED_PER_TOPIC)
      state.events.splice(0, state.events.length - MAX_RECORDED_PER_TOPIC);
    return { status: 200 };
  };

  const events = (topic: string): RecordedTopicEvent[] =>
    (topics.get(topic.toLowerCase())?.events ?? []).map((record) => structuredClone(record));

  const clearEvents = (topic?: string): void => {
    if (topic === undefined) {
      for (const state of topics.values()) state.events = [];
    } else {
      const state = topics.get(topic.toLowerCase());
      if (state) state.events = [];
    }
  };

  const controlRoutes: Route[] = [
    {
      method: 'GET',
      pattern: '/_emulator/topics',
      handler: () => json(200, { value: [...topics.values()].map(info) }),
    },
    {
      method: 'PUT',
      pattern: '/_emulator/topics/:topic',
      handler: (req, params) => {
        let body: unknown = {};
        const text = req.body.toString('utf8').trim();
        if (text !== '') {
          try {
            body = JSON.parse(text);
          } catch {
            return eventGridError(400, 'BadRequest', 'The request body is not valid JSON.');
          }
        }
        if (body === null || typeof body !== 'object' || Array.isArray(body)) {
          return eventGridError(
            400,
            'BadRequest',
            'The body must be an object: { "key1"?: string, "key2"?: string }.',
          );
        }
        const { key1, key2 } = body as { key1?: unknown; key2?: unknown };
        if (
          (key1 !== undefined && typeof key1 !== 'string') ||
          (key2 !== undefined && typeof key2 !== 'string')
        ) {
          return eventGridError(400, 'BadRequest', 'key1 and key2 must be strings.');
        }
        const name = params.topic ?? '';
        if (!TOPIC_NAME.test(name)) {
          return eventGridError(
            400,
            'BadRequest',
            `Invalid topic name '${name}': 3-50 letters, digits and hyphens.`,
          );
        }
        const decl: TopicDeclaration = { name };
        if (key1 !== undefined) decl.key1 = key1;
        if (key2 !== undefined) decl.key2 = key2;
        return json(200, declare(decl));
      },
    },
    {
      method: 'GET',
      pattern: '/_emulator/topics/:topic/events',
      handler: (_req, params) => json(200, { value: events(params.topic ?? '') }),
    },
    {
      method: 'DELETE',
      pattern: '/_emulator/topics/:topic/events',
      handler: (_req, params) => {
        clearEvents(params.topic ?? '');
        return { status: 204 };
      },
    },
  ];

  return {
    routes: [{ method: 'POST', pattern: '/topics/:topic/api/events', handler: publish }],
    controlRoutes,
    declare,
    events,
    clearEvents,
    list: () => [...topics.values()].map(info),
    snapshot: () =>
      [...topics.values()].map((state) => ({
        name: state.name,
        events: state.events.map((record) => record.event),
      })),
  };
}
