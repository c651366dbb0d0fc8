import { describe, expect, it } from 'vitest';
import { autoWorker, call, createApiWorld } from '../test/support/http-api.js';
import { createRollbackSecretHandler } from './rollbackSecret.js';
import { createRotateSecretHandler } from './rotateSecret.js';

function setup(options: Parameters<typeof createApiWorld>[0] = {}) {
  const api = createApiWorld(options);
  const rollbackHandler = createRollbackSecretHandler(api.getApp);
  const rotateHandler = createRotateSecretHandler(api.getApp);
  const rotate = (name: string, body: unknown) =>
    call(rotateHandler, api.context, `/api/secrets/${name}/rotate`, body, { params: { name } });
  const rollback = (name: string, body: unknown, extra: Parameters<typeof call>[4] = {}) =>
    call(rollbackHandler, api.context, `/api/secrets/${name}/rollback`, body, { params: { name }, ...extra });
  return { ...api, rotate, rollback };
}

const versions = (api: ReturnType<typeof setup>, name: string) => api.world.store.versions('kv-test', name);

describe('rollbackSecret', () => {
  it('re-promotes the previous key (still live under dual-key) to every secret of the group, propagates and records it', async () => {
    const api = setup();
    const worker = autoWorker(api.world);
    const original = versions(api, 'openai-key').at(-1)!;
    const rotated = await api.rotate('openai-key', { reason: 'scheduled' });
    expect(rotated.status).toBe(200);
    const propagationsBefore = api.world.propagator.calls.length;

    const answer = await api.rollback('openai-key-batch', { reason: 'new key breaks the batch job' });
    worker.stop();
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'done',
      trigger: 'rollback',
      reason: 'new key breaks the batch job',
      caller: 'function-key',
      rollbackOf: rotated.body.id,
      credentialId: 'key1',
      previousCredentialId: 'key2',
    });
    expect(answer.body.notes.join(' ')).toContain(`Rollback of run ${rotated.body.id}`);
    for (const name of ['openai-key', 'openai-key-batch']) {
      const current = versions(api, name).at(-1)!;
      expect(current.value).toBe(original.value);
      expect(current.tags).toMatchObject({ CredentialId: 'key1', RotationId: answer.body.id });
      expect(answer.body.newVersions[name]).toBe(current.version);
    }
    expect(api.openai.service.isLive(original.value)).toBe(true);
    expect(api.world.propagator.calls.length).toBe(propagationsBefore + 1);
    expect(JSON.stringify(answer.body)).not.toContain(original.value);
  });

  it('422 when the previous credential was revoked as compromised (nothing written)', async () => {
    const api = setup();
    const worker = autoWorker(api.world);
    await api.rotate('openai-key', { reason: 'leak', compromised: true });
    const before = api.world.store.snapshot();
    const answer = await api.rollback('openai-key', { reason: 'undo' });
    worker.stop();
    expect(answer).toMatchObject({ status: 422, body: { error: { code: 'CredentialRejected' } } });
    expect(api.world.store.snapshot()).toEqual(before);
  });

  it('422 with the failed run when the provider rejects the previous key (it was regenerated meanwhile)', async () => {
    const api = setup();
    const worker = autoWorker(api.world);
    await api.rotate('openai-key', { reason: 'scheduled' });
    api.openai.service.regenerate('key1');
    const before = versions(api, 'openai-key').length;
    const answer = await api.rollback('openai-key', { reason: 'undo' });
    worker.stop();
    expect(answer.status).toBe(422);
    expect(answer.body.run).toMatchObject({
      status: 'failed',
      error: { code: 'CredentialRejected', phase: 'validated' },
    });
    expect(versions(api, 'openai-key')).toHaveLength(before);
  });

  it('400 when the current version was not written by the rotator; 404 unmanaged; 409 while a run is in progress', async () => {
    const api = setup({ env: { HTTP_WAIT_SECONDS: '0' } });
    const fresh = await api.rollback('openai-key', { reason: 'undo' });
    expect(fresh).toMatchObject({ status: 400, body: { error: { code: 'BadRequest' } } });
    expect((await api.rollback('ghost', { reason: 'undo' })).status).toBe(404);
    expect((await api.rollback('openai-key', {})).status).toBe(400);
    const queued = await api.rotate('openai-key', { reason: 'scheduled' });
    expect(queued.status).toBe(202);
    const busy = await api.rollback('openai-key', { reason: 'undo' });
    expect(busy.status).toBe(409);
    expect(busy.body.error.details).toEqual([{ path: 'runId', message: queued.body.id }]);
  });

  it('202 + Location while the worker has not run it', async () => {
    const api = setup();
    const worker = autoWorker(api.world);
    await api.rotate('openai-key', { reason: 'scheduled' });
    worker.stop();
    api.app.settings.HTTP_WAIT_SECONDS = 1;
    const answer = await api.rollback('openai-key', { reason: 'undo' });
    expect(answer.status).toBe(202);
    expect(answer.headers.location).toBe(`/api/runs/${answer.body.id}`);
    expect(api.world.queue.messages.at(-1)?.request).toMatchObject({
      action: 'rollback',
      trigger: { kind: 'rollback' },
    });
  });
});
