/**
 * The on-call HTTP API through the local Functions host over the in-memory fakes: what only the host
 * decides (401 without the function key, 404 unknown route, 405 + Allow) and one real round trip per
 * function, with the caller from App Service authentication recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningLocalHost, startLocalHost } from '../local/host/index.js';
import { randomKey, recordingLogger } from '../local/host/test-support.js';
import { type ApiWorld, autoWorker, createApiWorld } from '../test/support/http-api.js';
import type { FunctionDefinition } from './definition.js';
import { createGetRunHandler, getRunFunction } from './getRun.js';
import { encodeClientPrincipal } from './http/caller.js';
import { createRepropagateRunHandler, repropagateRunFunction } from './repropagateRun.js';
import { createRollbackSecretHandler, rollbackSecretFunction } from './rollbackSecret.js';
import { createRotateManyHandler, rotateManyFunction } from './rotateMany.js';
import { createRotateSecretHandler, rotateSecretFunction } from './rotateSecret.js';

const functionKey = randomKey();
let api: ApiWorld;
let host: RunningLocalHost;
let worker: ReturnType<typeof autoWorker>;

beforeAll(async () => {
  api = createApiWorld();
  worker = autoWorker(api.world);
  const definitions: FunctionDefinition[] = [
    { ...rotateSecretFunction, handler: createRotateSecretHandler(api.getApp) },
    { ...rotateManyFunction, handler: createRotateManyHandler(api.getApp) },
    { ...rollbackSecretFunction, handler: createRollbackSecretHandler(api.getApp) },
    { ...getRunFunction, handler: createGetRunHandler(api.getApp) },
    { ...repropagateRunFunction, handler: createRepropagateRunHandler(api.getApp) },
  ];
  host = await startLocalHost({ definitions, port: 0, functionKey, logger: recordingLogger() });
});

afterAll(async () => {
  worker?.stop();
  await host?.stop();
});

function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${host.url}${path}`, {
    method,
    headers: {
      'x-functions-key': functionKey,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('HTTP API through the local host', () => {
  it('401 without the function key, before anything runs', async () => {
    const res = await fetch(`${host.url}/api/secrets/openai-key/rotate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'x' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('Unauthorized');
    expect(api.world.queue.sent).toHaveLength(0);
  });

  it('404 for an unknown route, 405 + Allow for a wrong method', async () => {
    expect((await request('POST', '/api/secrets/openai-key/explode', { reason: 'x' })).status).toBe(404);
    const wrong = await request('GET', '/api/rotations');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    const del = await request('DELETE', '/api/runs/0123');
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toContain('GET');
  });

  it('rotates, reads the run, rolls back — caller and reason recorded', async () => {
    const principal = encodeClientPrincipal({ name: 'oncall@contoso.com', nameType: 'upn' });
    const rotated = await request(
      'POST',
      '/api/secrets/openai-key/rotate?vault=kv-test',
      { reason: 'drill' },
      {
        'x-ms-client-principal': principal,
      },
    );
    expect(rotated.status).toBe(200);
    const run = (await rotated.json()) as { id: string; caller: string; status: string };
    expect(run).toMatchObject({ status: 'done', caller: 'oncall@contoso.com (aad)' });
    expect(rotated.headers.get('location')).toBe(`/api/runs/${run.id}`);

    const read = await request('GET', `/api/runs/${run.id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({
      id: run.id,
      reason: 'drill',
      caller: 'oncall@contoso.com (aad)',
    });

    const rolledBack = await request('POST', '/api/secrets/openai-key/rollback', { reason: 'drill undo' });
    expect(rolledBack.status).toBe(200);
    expect(await rolledBack.json()).toMatchObject({ status: 'done', rollbackOf: run.id });

    const many = await request('POST', '/api/rotations', {
      select: { provider: 'groq' },
      reason: 'drill',
      dryRun: true,
    });
    expect(many.status).toBe(200);
    expect(await many.json()).toMatchObject({ dryRun: true, summary: { secrets: 1 } });

    const nothing = await request('POST', `/api/runs/${run.id}/propagate`);
    expect(nothing.status).toBe(400);
  });
});
