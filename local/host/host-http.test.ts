import { createServer } from 'node:net';
import type { HttpRequest, InvocationContext, Timer } from '@azure/functions';
import azureFunctions from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FunctionDefinition } from '../../functions/definition.js';
import { readJsonBody, withErrorHandling } from '../../functions/http/index.js';
import { RotationError } from '../../rotation/errors.js';
import { type RunningLocalHost, startLocalHost } from './index.js';
import { randomKey, recordingLogger, waitFor } from './test-support.js';

const { HttpResponse } = azureFunctions;

const functionKey = randomKey();
const logger = recordingLogger();
const seen: { params: Record<string, string>; query: string | null; body: unknown }[] = [];
const timerRuns: { timer: Timer; context: InvocationContext }[] = [];

const definitions: FunctionDefinition[] = [
  {
    name: 'echoSecret',
    trigger: { type: 'http', methods: ['POST'], route: 'secrets/{name}/rotate', authLevel: 'function' },
    handler: withErrorHandling(async (request: HttpRequest) => {
      const body = await readJsonBody(request, z.object({ reason: z.string() }), { maxBytes: 8 * 1024 });
      seen.push({ params: { ...request.params }, query: request.query.get('vault'), body });
      return { status: 200, jsonBody: { name: request.params.name, reason: body.reason } };
    }),
  },
  {
    name: 'getRun',
    trigger: { type: 'http', methods: ['GET'], route: 'runs/{id}', authLevel: 'function' },
    handler: (request: HttpRequest) =>
      new HttpResponse({ status: 200, headers: { 'x-run': request.params.id ?? '' }, body: 'plain text' }),
  },
  {
    name: 'activeRuns',
    trigger: { type: 'http', methods: ['GET'], route: 'runs/active', authLevel: 'function' },
    handler: () => ({ jsonBody: { active: true } }),
  },
  {
    name: 'deleteRun',
    trigger: { type: 'http', methods: ['DELETE'], route: 'runs/{id}', authLevel: 'function' },
    handler: () => ({ status: 204 }),
  },
  {
    name: 'health',
    trigger: { type: 'http', methods: ['GET'], route: 'health', authLevel: 'anonymous' },
    handler: () => ({ jsonBody: { ok: true } }),
  },
  {
    name: 'crash',
    trigger: { type: 'http', methods: ['GET'], route: 'crash', authLevel: 'function' },
    handler: () => {
      throw new Error('boom at /secret/path with value hunter2');
    },
  },
  {
    name: 'unavailable',
    trigger: { type: 'http', methods: ['GET'], route: 'unavailable', authLevel: 'function' },
    handler: withErrorHandling(() => {
      throw new RotationError('ProviderUnavailable', 'Groq did not answer', { retryAfterSeconds: 12 });
    }),
  },
  {
    name: 'dailySweep',
    trigger: { type: 'timer', schedule: '%TEST_SWEEP_SCHEDULE%' },
    handler: (timer: Timer, context: InvocationContext) => {
      timerRuns.push({ timer, context });
    },
  },
];

let host: RunningLocalHost;

beforeAll(async () => {
  host = await startLocalHost({
    definitions,
    port: 0,
    functionKey,
    settings: { TEST_SWEEP_SCHEDULE: '0 0 2 * * *' },
    logger,
    timing: { drainTimeoutMs: 2000 },
  });
});

afterAll(async () => {
  await host?.stop();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${host.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('function keys', () => {
  it('accepts the key in x-functions-key', async () => {
    const res = await post(
      '/api/secrets/openai-key/rotate?vault=kv1',
      { reason: 'test' },
      { 'x-functions-key': functionKey },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: 'openai-key', reason: 'test' });
    expect(seen.at(-1)).toEqual({ params: { name: 'openai-key' }, query: 'kv1', body: { reason: 'test' } });
  });

  it('accepts the key in ?code=', async () => {
    const res = await post(`/api/secrets/a%20b/rotate?code=${encodeURIComponent(functionKey)}`, {
      reason: 'q',
    });
    expect(res.status).toBe(200);
    expect(seen.at(-1)?.params).toEqual({ name: 'a b' });
  });

  it('rejects a wrong key with 401 and the error body', async () => {
    const res = await post('/api/secrets/x/rotate?code=wrong', { reason: 'q' });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('Unauthorized');
  });

  it('rejects a wrong header key even when the query key is right', async () => {
    const res = await post(
      `/api/secrets/x/rotate?code=${functionKey}`,
      { reason: 'q' },
      { 'x-functions-key': 'nope' },
    );
    expect(res.status).toBe(401);
  });

  it('rejects a missing key with 401', async () => {
    const res = await fetch(`${host.url}/api/runs/r1`);
    expect(res.status).toBe(401);
  });

  it('lets anonymous functions through without a key', async () => {
    const res = await fetch(`${host.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});

describe('routing', () => {
  const key = { 'x-functions-key': functionKey };

  it('answers 404 with the error body for an unknown route', async () => {
    for (const path of ['/api/nothing', '/other', '/api/secrets/x', '/api/secrets/x/rotate/extra']) {
      const res = await fetch(`${host.url}${path}`, { headers: key });
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NotFound');
    }
  });

  it('answers 405 with Allow listing every method of the route', async () => {
    const res = await fetch(`${host.url}/api/runs/r1`, { method: 'PUT', headers: key });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('DELETE, GET');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MethodNotAllowed');
  });

  it('prefers literal segments over parameters and passes HttpResponse objects through', async () => {
    const active = await fetch(`${host.url}/api/runs/active`, { headers: key });
    expect(await active.json()).toEqual({ active: true });
    const run = await fetch(`${host.url}/API/Runs/r-42/`, { headers: key });
    expect(run.status).toBe(200);
    expect(run.headers.get('x-run')).toBe('r-42');
    expect(await run.text()).toBe('plain text');
  });

  it('maps a bodiless status through', async () => {
    const res = await fetch(`${host.url}/api/runs/r1`, { method: 'DELETE', headers: key });
    expect(res.status).toBe(204);
  });
});

describe('errors and limits', () => {
  const key = { 'x-functions-key': functionKey };

  it('answers 500 with a generic body and no stack trace when a handler throws', async () => {
    const res = await fetch(`${host.url}/api/crash`, { headers: key });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: 'InternalError', message: expect.any(String) },
    });
    expect(text).not.toMatch(/boom|hunter2|at |\.ts/);
    const failure = logger.lines.find((l) => l.message === 'function failed');
    expect(failure?.fields).toMatchObject({ functionName: 'crash', error: { code: 'Error' } });
  });

  it('maps RotationErrors through withErrorHandling, with Retry-After on 503', async () => {
    const res = await fetch(`${host.url}/api/unavailable`, { headers: key });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('12');
    expect(await res.json()).toEqual({
      error: { code: 'ProviderUnavailable', message: 'Groq did not answer' },
    });
  });

  it('answers 400 with zod details for a bad body', async () => {
    const res = await post('/api/secrets/x/rotate', { reason: 5 }, key);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe('BadRequest');
    expect(body.error.details[0]?.path).toBe('$.reason');
  });

  it('answers 413 when the function limit is exceeded', async () => {
    const res = await post('/api/secrets/x/rotate', { reason: 'x'.repeat(9000) }, key);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PayloadTooLarge');
  });

  it('answers 413 when the host limit is exceeded, before the function runs', async () => {
    const before = seen.length;
    const res = await post('/api/secrets/x/rotate', 'x'.repeat(1024 * 1024 + 10), key);
    expect(res.status).toBe(413);
    expect(seen.length).toBe(before);
  });
});

describe('request log', () => {
  it('writes one line per request with code redacted and no body', async () => {
    const marker = `marker-${randomKey()}`;
    await post(`/api/secrets/x/rotate?vault=v&code=${encodeURIComponent(functionKey)}`, { reason: marker });
    await waitFor(
      () => logger.lines.some((l) => l.message.includes('code=REDACTED')),
      'the request log line',
    );
    const line = logger.lines.find((l) =>
      l.message.startsWith('POST /api/secrets/x/rotate?vault=v&code=REDACTED'),
    );
    expect(line?.message).toMatch(/^POST \/api\/secrets\/x\/rotate\?vault=v&code=REDACTED 200 \d+ms$/);
    expect(line?.fields).toMatchObject({ method: 'POST', status: 200 });
    expect(logger.text()).not.toContain(functionKey);
    expect(logger.text()).not.toContain(marker);
  });
});

describe('admin endpoint', () => {
  it('runs a timer on demand with 202, and requires the key', async () => {
    const denied = await fetch(`${host.url}/admin/functions/dailySweep`, { method: 'POST' });
    expect(denied.status).toBe(401);
    const res = await fetch(`${host.url}/admin/functions/dailySweep`, {
      method: 'POST',
      headers: { 'x-functions-key': functionKey, 'content-type': 'application/json' },
      body: JSON.stringify({ input: '' }),
    });
    expect(res.status).toBe(202);
    await waitFor(() => timerRuns.length === 1, 'the timer run');
    const run = timerRuns[0]!;
    expect(run.timer.isPastDue).toBe(false);
    expect(run.context.functionName).toBe('dailySweep');
    expect(run.timer.scheduleStatus.next).toMatch(/T02:00:00\.000Z$/);
  });

  it('answers 404 for unknown functions, 400 for HTTP functions and 405 for GET', async () => {
    const headers = { 'x-functions-key': functionKey };
    expect((await fetch(`${host.url}/admin/functions/nope`, { method: 'POST', headers })).status).toBe(404);
    expect((await fetch(`${host.url}/admin/functions/health`, { method: 'POST', headers })).status).toBe(400);
    const get = await fetch(`${host.url}/admin/functions/dailySweep`, { headers });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});

describe('startup and stop', () => {
  it('refuses definitions with problems, listing each', async () => {
    await expect(
      startLocalHost({
        definitions: [
          {
            name: 'a',
            trigger: { type: 'timer', schedule: '%MISSING_SCHEDULE_SETTING%' },
            handler: () => undefined,
          },
          { name: 'b', trigger: { type: 'timer', schedule: '0 0 * * *' }, handler: () => undefined },
        ],
        port: 0,
        functionKey,
        settings: {},
        logger,
      }),
    ).rejects.toThrow(/MISSING_SCHEDULE_SETTING is not set[\s\S]*expected 6 fields/);
  });

  it('stop() closes the server, its sockets and its timers: the port is free again', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    const second = await startLocalHost({
      definitions,
      port: 0,
      functionKey,
      settings: { TEST_SWEEP_SCHEDULE: '* * * * * *' },
      logger,
    });
    // A keep-alive connection that stays open until stop().
    const res = await fetch(`${second.url}/api/health`);
    expect(res.status).toBe(200);
    await second.stop();
    await second.stop();
    const port = second.port;
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
    // Closed handles leave the list on the next loop turns; nothing of ours may remain after that.
    const count = (name: string, list = process.getActiveResourcesInfo()) =>
      list.filter((r) => r === name).length;
    await waitFor(
      () =>
        count('TCPServerWrap') === count('TCPServerWrap', before) &&
        count('TCPSocketWrap') <= count('TCPSocketWrap', before) &&
        count('Timeout') <= count('Timeout', before),
      'the host handles to close',
      2000,
    );
  });
});
