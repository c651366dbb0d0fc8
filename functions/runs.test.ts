import { describe, expect, it } from 'vitest';
import { autoWorker, call, createApiWorld } from '../test/support/http-api.js';
import { createGetRunHandler } from './getRun.js';
import { createRepropagateRunHandler } from './repropagateRun.js';
import { createRotateSecretHandler } from './rotateSecret.js';

function setup(options: Parameters<typeof createApiWorld>[0] = {}) {
  const api = createApiWorld(options);
  const rotateHandler = createRotateSecretHandler(api.getApp);
  const getHandler = createGetRunHandler(api.getApp);
  const propagateHandler = createRepropagateRunHandler(api.getApp);
  return {
    ...api,
    rotate: (name: string, body: unknown) =>
      call(rotateHandler, api.context, `/api/secrets/${name}/rotate`, body, { params: { name } }),
    get: (id: string) =>
      call(getHandler, api.context, `/api/runs/${id}`, undefined, { method: 'GET', params: { id } }),
    propagate: (id: string, body?: unknown, extra: Parameters<typeof call>[4] = {}) =>
      call(propagateHandler, api.context, `/api/runs/${id}/propagate`, body, { params: { id }, ...extra }),
  };
}

describe('getRun', () => {
  it('200 with the run view; 404 for an unknown or malformed id', async () => {
    const api = setup({ env: { HTTP_WAIT_SECONDS: '0' } });
    const queued = await api.rotate('openai-key', { reason: 'x' });
    const answer = await api.get(queued.body.id);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: queued.body.id, status: 'queued', reason: 'x' });
    expect(answer.headers['content-location']).toBe(`/api/runs/${queued.body.id}`);
    expect((await api.get('0'.repeat(32))).status).toBe(404);
    expect((await api.get('../../etc')).status).toBe(404);
  });
});

describe('repropagateRun', () => {
  it('propagates again to the consumers that failed, without rotating; the run becomes done', async () => {
    const api = setup();
    const worker = autoWorker(api.world);
    api.world.propagator.failing.add('voice-app');
    const rotated = await api.rotate('openai-key', { reason: 'x' });
    expect(rotated.body.status).toBe('propagated-with-errors');
    expect(rotated.body.notes.join(' ')).toContain(`POST /api/runs/${rotated.body.id}/propagate`);
    const regenerations = api.openai.service.regenerations;
    api.world.propagator.failing.clear();

    const answer = await api.propagate(rotated.body.id, { reason: 'voice-app is back' });
    worker.stop();
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('done');
    expect(answer.body.consumers.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([
      ['chat-app', 'ok'],
      ['voice-app', 'ok'],
    ]);
    expect(answer.body.repropagations).toEqual([
      expect.objectContaining({
        consumers: ['voice-app'],
        caller: 'function-key',
        reason: 'voice-app is back',
      }),
    ]);
    expect(api.world.propagator.calls.at(-1)).toMatchObject({ consumers: ['voice-app'] });
    expect(api.openai.service.regenerations).toBe(regenerations);
  });

  it('compromised: leaked versions wait for every consumer, then re-propagation disables them', async () => {
    const api = setup();
    const worker = autoWorker(api.world);
    api.world.propagator.failing.add('chat-app');
    const leakedVersion = api.world.store.versions('kv-test', 'openai-key').at(-1)!.version;
    const rotated = await api.rotate('openai-key', { reason: 'leak', compromised: true });
    expect(rotated.body).toMatchObject({ status: 'propagated-with-errors', revoked: ['key1'] });
    expect(api.world.store.versions('kv-test', 'openai-key')[0]!.enabled).toBe(true);
    api.world.propagator.failing.clear();
    const answer = await api.propagate(rotated.body.id);
    worker.stop();
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('revoked');
    expect(answer.body.revoked).toContain(`version:openai-key/${leakedVersion}`);
    expect(api.world.store.versions('kv-test', 'openai-key')[0]!.enabled).toBe(false);
  });

  it('compromised: a worker that lost the group while re-propagating does not disable the leaked versions', async () => {
    const api = setup();
    const worker = autoWorker(api.world);
    api.world.propagator.failing.add('chat-app');
    const rotated = await api.rotate('openai-key', { reason: 'leak', compromised: true });
    worker.stop();
    expect(rotated.body.status).toBe('propagated-with-errors');
    api.world.propagator.failing.clear();
    const group = api.world.journal.peek(rotated.body.id)!.group;
    // The consumers are told; the worker is then held up and another worker takes the group's lease.
    const propagator = api.world.propagator;
    const tell = propagator.propagate.bind(propagator);
    propagator.propagate = async (record, target) => {
      const outcomes = await tell(record, target);
      api.world.clock.advance(1_000);
      api.world.locks.breakLease(`kv-test/${group}`);
      await api.world.locks.tryAcquire(`kv-test/${group}`, 30);
      return outcomes;
    };
    api.app.settings.HTTP_WAIT_SECONDS = 0;
    expect((await api.propagate(rotated.body.id)).status).toBe(202);
    await expect(api.world.drain()).rejects.toMatchObject({ code: 'LeaseLost', transient: true });
    expect(api.world.store.versions('kv-test', 'openai-key')[0]!.enabled).toBe(true);
    expect(api.world.journal.peek(rotated.body.id)).toMatchObject({ status: 'propagated-with-errors' });
  });

  it('409 while the run is in progress, 400 when there is nothing to re-propagate, 409 when superseded', async () => {
    const api = setup({ env: { HTTP_WAIT_SECONDS: '0' } });
    const queued = await api.rotate('openai-key', { reason: 'x' });
    const busy = await api.propagate(queued.body.id);
    expect(busy).toMatchObject({ status: 409, body: { error: { code: 'RunInProgress' } } });
    await api.world.drain();
    const nothing = await api.propagate(queued.body.id);
    expect(nothing).toMatchObject({ status: 400, body: { error: { code: 'BadRequest' } } });

    api.world.propagator.failing.add('auth-app');
    await api.rotate('jwt-secret-key', { reason: 'x' });
    const [failedRun] = await api.world.drain();
    expect(failedRun?.status).toBe('propagated-with-errors');
    api.world.store.seed('kv-test', 'jwt-secret-key', { value: 'd'.repeat(64), tags: {} });
    const superseded = await api.propagate(failedRun!.id);
    expect(superseded).toMatchObject({ status: 409, body: { error: { code: 'StaleTrigger' } } });
    expect((await api.propagate('f'.repeat(32))).status).toBe(404);
  });

  it('accepts an empty body, rejects a bad one', async () => {
    const api = setup({ env: { HTTP_WAIT_SECONDS: '0' } });
    const bad = await api.propagate('f'.repeat(32), { reason: 'x', extra: 1 });
    expect(bad.status).toBe(400);
    const notJson = await api.propagate('f'.repeat(32), undefined, {
      raw: 'reason=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(notJson.status).toBe(400);
    expect((await api.propagate('f'.repeat(32))).status).toBe(404);
  });
});
