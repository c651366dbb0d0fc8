/**
 * Test support for the on-call HTTP functions over the in-memory fakes: a small inventory (an Azure
 * OpenAI key shared by two secrets, a JWT signing secret, a Groq key), HTTP requests built like the
 * Functions host builds them, a state snapshot for "changes nothing" assertions, and two workers —
 * `autoWorker` (drains the queue right after every enqueue, like a warm queue trigger) and
 * `parallelWorker` (runs every visible message at once, so only the run slots bound concurrency).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import azureFunctions from '@azure/functions';
import type { HttpFunctionHandler } from '../../functions/definition.js';
import { jwtSecretProvider } from '../../providers/jwt-secret/index.js';
import { executeRun } from '../../rotation/engine/index.js';
import { createFakeProvider, type FakeProvider, type FakeWorld } from '../../rotation/fakes/index.js';
import type { RunRecord } from '../../rotation/ports.js';
import { createFakeApp, type FakeApp } from './fake-app.js';

const { HttpRequest: HttpRequestClass, InvocationContext: InvocationContextClass } = azureFunctions;

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test/providers';
export const OPENAI_RESOURCE = `${SUB}/Microsoft.CognitiveServices/accounts/oai-test`;

function site(name: string) {
  return { type: 'app-service', resourceId: `${SUB}/Microsoft.Web/sites/${name}` };
}

export const API_CONFIG = {
  vaults: [{ name: 'kv-test' }],
  consumers: { 'chat-app': site('chat-app'), 'voice-app': site('voice-app'), 'auth-app': site('auth-app') },
  secrets: {
    'openai-key': {
      provider: 'azure-cognitive-services',
      group: 'openai-main',
      settings: { resourceId: OPENAI_RESOURCE },
      consumers: ['chat-app', 'voice-app'],
    },
    'openai-key-batch': {
      provider: 'azure-cognitive-services',
      group: 'openai-main',
      settings: { resourceId: OPENAI_RESOURCE },
      consumers: ['chat-app'],
    },
    'jwt-secret-key': { provider: 'jwt-secret', settings: {}, consumers: ['auth-app'] },
    'groq-api-key': { provider: 'groq', settings: {}, consumers: ['chat-app'] },
  },
};

export interface ApiWorld extends FakeApp {
  openai: FakeProvider;
  groq: FakeProvider;
  context: InvocationContext;
}

export interface ApiWorldOptions {
  env?: Record<string, string>;
  concurrency?: number;
  /** More `secrets` entries for the config (seed them yourself). */
  extraSecrets?: Record<string, unknown>;
}

/**
 * `HTTP_WAIT_SECONDS` defaults to 200 here: the fake clock jumps whenever the event loop is idle, also
 * while real asynchronous work is pending, so a short fake wait could run out before the worker's run
 * ends. Tests that want a 202 set a short wait themselves.
 */
export function createApiWorld(options: ApiWorldOptions = {}): ApiWorld {
  const fake = createFakeApp({
    config: { ...API_CONFIG, secrets: { ...API_CONFIG.secrets, ...options.extraSecrets } },
    // The real JWT provider, except that validation skips WebCrypto (tested in providers/jwt-secret):
    // real asynchronous work lets the fake clock jump and would make HTTP waits time out at random.
    providers: { 'jwt-secret': { ...jwtSecretProvider, validate: async () => ({ ok: true }) } },
    ...(options.concurrency ? { settings: { concurrency: options.concurrency } } : {}),
    env: { HTTP_WAIT_SECONDS: '200', ...options.env },
  });
  const { world } = fake;
  // Providers report their calls to the world's fault log, so tests can check the order of everything.
  const openai = createFakeProvider({ kind: 'azure-cognitive-services', faults: world.faults });
  const groq = createFakeProvider({
    kind: 'groq',
    mode: 'manual',
    retrieve: false,
    revoke: false,
    faults: world.faults,
  });
  world.providers['azure-cognitive-services'] = openai;
  world.providers.groq = groq;
  const expiresOn = new Date(world.clock.now().getTime() + 20 * 86_400_000);
  for (const name of ['openai-key', 'openai-key-batch']) {
    world.store.seed('kv-test', name, {
      value: openai.service.keys.key1,
      tags: { CredentialId: 'key1' },
      expiresOn,
    });
  }
  world.store.seed('kv-test', 'jwt-secret-key', {
    value: 'a'.repeat(64),
    tags: { CredentialId: 'kid-0', team: 'identity' },
    expiresOn,
  });
  world.store.seed('kv-test', 'groq-api-key', {
    value: `gsk_${'b'.repeat(40)}`,
    tags: { team: 'ai' },
    expiresOn,
  });
  const context = new InvocationContextClass({ functionName: 'test', logHandler: () => {} });
  return { ...fake, openai, groq, context };
}

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  method?: string;
  /** Raw body text (default: JSON of `body`). */
  raw?: string;
}

export function httpRequest(path: string, body: unknown, options: CallOptions = {}): HttpRequest {
  const url = new URL(`http://127.0.0.1:7071${path}`);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const text = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  return new HttpRequestClass({
    method: options.method ?? 'POST',
    url: url.toString(),
    headers: { ...(text === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(text === undefined ? {} : { body: { string: text } }),
    params: options.params ?? {},
  });
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
  body: any;
}

export async function call(
  handler: HttpFunctionHandler,
  context: InvocationContext,
  path: string,
  body: unknown,
  options: CallOptions = {},
): Promise<Answer> {
  const response = (await handler(httpRequest(path, body, options), context)) as HttpResponseInit;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries((response.headers ?? {}) as Record<string, string>))
    headers[k.toLowerCase()] = v;
  return { status: response.status ?? 200, headers, body: response.jsonBody };
}

/** Drains the queue shortly after every enqueue (the worker), on the world's clock. */
export function autoWorker(world: FakeWorld): { runs: RunRecord[]; stop(): void } {
  const runs: RunRecord[] = [];
  const queue = world.queue;
  const original = queue.enqueue.bind(queue);
  let active = true;
  let draining: Promise<void> = Promise.resolve();
  queue.enqueue = async (request, options) => {
    await original(request, options);
    if (!active) return;
    setImmediate(() => {
      draining = draining.then(async () => {
        runs.push(...(await world.drain()));
      });
    });
  };
  return {
    runs,
    stop: () => {
      active = false;
      queue.enqueue = original;
    },
  };
}

/**
 * Runs every visible message at once, again and again, until the queue is empty and nothing runs (fake
 * clock: idle sleeps jump). Only the engine's run slots limit how many runs execute together.
 */
export async function parallelWorker(world: FakeWorld): Promise<RunRecord[]> {
  const results: RunRecord[] = [];
  const running = new Set<Promise<void>>();
  for (;;) {
    for (const request of world.queue.takeVisible()) {
      const job: Promise<void> = executeRun(world.deps, request)
        .then((run) => {
          results.push(run);
        })
        .finally(() => running.delete(job));
      running.add(job);
    }
    if (running.size === 0 && world.queue.messages.length === 0) return results;
    await world.clock.sleep(250);
  }
}

/** Everything the fakes hold that a dry run must not change. */
export function fakeState(world: FakeWorld, providers: FakeProvider[]) {
  return structuredClone({
    store: world.store.snapshot(),
    journal: world.journal.all(),
    queue: world.queue.sent,
    locks: world.locks.acquired,
    alerts: world.notifier.alerts,
    propagations: world.propagator.calls,
    keys: providers.map((p) => ({ ...p.service.keys, regenerations: p.service.regenerations })),
  });
}
