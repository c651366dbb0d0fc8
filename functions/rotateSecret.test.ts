import { describe, expect, it } from 'vitest';
import { createFakeApp } from '../test/support/fake-app.js';
import { type ApiWorld, autoWorker, call, createApiWorld, fakeState } from '../test/support/http-api.js';
import { encodeClientPrincipal } from './http/caller.js';
import { createRotateSecretHandler } from './rotateSecret.js';

const PATH = '/api/secrets/openai-key/rotate';
const params = { name: 'openai-key' };

function setup(options: Parameters<typeof createApiWorld>[0] = {}) {
  const api = createApiWorld(options);
  const handler = createRotateSecretHandler(api.getApp);
  const rotate = (body: unknown, extra: Parameters<typeof call>[4] = {}) =>
    call(handler, api.context, PATH, body, { params, ...extra });
  return { ...api, handler, rotate };
}

function versionsOf(api: ApiWorld, name: string) {
  return api.world.store.versions('kv-test', name);
}

describe('rotateSecret: success', () => {
  it('200 with the run (no values) when the worker finishes within HTTP_WAIT_SECONDS', async () => {
    const api = setup();
    const worker = autoWorker(api.world);
    const before = versionsOf(api, 'openai-key').at(-1)!;
    const principal = encodeClientPrincipal({ name: 'alice@contoso.com', nameType: 'preferred_username' });
    const answer = await api.rotate(
      { reason: 'quarterly' },
      { headers: { 'x-ms-client-principal': principal } },
    );
    worker.stop();

    expect(answer.status).toBe(200);
    expect(answer.headers.location).toBe(`/api/runs/${answer.body.id}`);
    expect(answer.body).toMatchObject({
      vault: 'kv-test',
      group: 'openai-main',
      secrets: ['openai-key', 'openai-key-batch'],
      status: 'done',
      previousVersion: before.version,
      credentialId: 'key2',
      caller: 'alice@contoso.com (aad)',
      reason: 'quarterly',
      compromised: false,
    });
    expect(answer.body.newVersion).toBe(versionsOf(api, 'openai-key').at(-1)!.version);
    expect(answer.body.phases.map((p: { phase: string }) => p.phase)).toEqual([
      'queued',
      'claimed',
      'issued',
      'validated',
      'promoted',
      'propagated',
      'done',
    ]);
    expect(answer.body.consumers.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([
      ['chat-app', 'ok'],
      ['voice-app', 'ok'],
    ]);
    const text = JSON.stringify(answer.body);
    for (const value of [api.openai.service.keys.key1, api.openai.service.keys.key2, before.value]) {
      expect(text).not.toContain(value);
    }
    // Caller and reason are on the journaled run (history reports read them from there).
    const journaled = api.world.journal.peek(answer.body.id)!;
    expect(journaled.trigger).toMatchObject({
      kind: 'http',
      caller: 'alice@contoso.com (aad)',
      reason: 'quarterly',
    });
  });

  it('202 + Location when the run does not finish in time; the run is queued, not rotated inline', async () => {
    const api = setup({ env: { HTTP_WAIT_SECONDS: '3' } });
    const answer = await api.rotate({ reason: 'slow worker' });
    expect(answer.status).toBe(202);
    expect(answer.headers.location).toBe(`/api/runs/${answer.body.id}`);
    expect(answer.body.status).toBe('queued');
    expect(api.world.queue.messages).toHaveLength(1);
    expect(api.openai.service.regenerations).toBe(0);
    expect(answer.body.caller).toBe('function-key');
  });

  it('HTTP_WAIT_SECONDS=0 answers 202 at once', async () => {
    const api = setup({ env: { HTTP_WAIT_SECONDS: '0' } });
    const started = api.world.clock.now().getTime();
    const answer = await api.rotate({ reason: 'fire and forget' });
    expect(answer.status).toBe(202);
    expect(api.world.clock.now().getTime()).toBe(started);
  });
});

describe('rotateSecret: compromised', () => {
  it('kills both old keys, writes the new key to every secret of the group, disables the old versions, restarts before the revoke', async () => {
    const api = setup();
    const worker = autoWorker(api.world);
    const leaked = api.openai.service.keys.key1;
    const other = api.openai.service.keys.key2;
    const oldVersions = ['openai-key', 'openai-key-batch'].map((n) => versionsOf(api, n).at(-1)!.version);
    const answer = await api.rotate({ reason: 'key pasted in a public repo', compromised: true });
    worker.stop();

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'revoked', compromised: true, credentialId: 'key2' });
    // Neither old key works: key2 was regenerated to issue, key1 (the leaked one) regenerated to revoke.
    expect(api.openai.service.isLive(leaked)).toBe(false);
    expect(api.openai.service.isLive(other)).toBe(false);
    const current = ['openai-key', 'openai-key-batch'].map((n) => versionsOf(api, n).at(-1)!);
    expect(current[0]!.value).toBe(api.openai.service.keys.key2);
    expect(current[1]!.value).toBe(current[0]!.value);
    // Old versions disabled, listed as revoked.
    for (const [i, name] of ['openai-key', 'openai-key-batch'].entries()) {
      const old = versionsOf(api, name).find((v) => v.version === oldVersions[i]);
      expect(old?.enabled).toBe(false);
      expect(answer.body.revoked).toContain(`version:${name}/${oldVersions[i]}`);
    }
    expect(answer.body.revoked[0]).toBe('key1');
    // Restarts happen before the revoke.
    const calls = api.world.faults.calls;
    expect(calls.indexOf('propagator.propagate')).toBeGreaterThan(-1);
    expect(calls.indexOf('propagator.propagate')).toBeLessThan(calls.indexOf('provider.revoke'));
    expect(calls.lastIndexOf('store.updateVersion')).toBeGreaterThan(calls.indexOf('provider.revoke'));
    expect(answer.body.notes.join(' ')).toContain('no longer works');
  });

  it('JWT: disables the old versions and says that tokens signed with them stop verifying', async () => {
    const api = setup();
    const worker = autoWorker(api.world);
    const answer = await call(
      api.handler,
      api.context,
      '/api/secrets/jwt-secret-key/rotate',
      {
        reason: 'signing key leaked',
        compromised: true,
      },
      { params: { name: 'jwt-secret-key' } },
    );
    worker.stop();
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('revoked');
    expect(answer.body.revoked).toEqual(['kid:kid-0']);
    expect(answer.body.notes.join(' ')).toMatch(/tokens signed with them .*stop verifying/);
    expect(versionsOf(api, 'jwt-secret-key')[0]!.enabled).toBe(false);
  });

  it('manual provider: urgent tasks and a critical alert; the current version stays readable', async () => {
    const api = setup();
    const worker = autoWorker(api.world);
    const before = versionsOf(api, 'groq-api-key');
    const answer = await call(
      api.handler,
      api.context,
      '/api/secrets/groq-api-key/rotate',
      {
        reason: 'leaked in logs',
        compromised: true,
      },
      { params: { name: 'groq-api-key' } },
    );
    worker.stop();
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('manual-action-required');
    expect(answer.body.pendingHuman).toHaveLength(2);
    expect(answer.body.pendingHuman.every((t: string) => t.startsWith('URGENT (compromised)'))).toBe(true);
    expect(answer.body.pendingHuman[1]).toMatch(/revoke/);
    const alert = api.world.notifier.ofKind('manual-action-required')[0];
    expect(alert?.severity).toBe('critical');
    expect(versionsOf(api, 'groq-api-key')).toEqual(before);
    expect(JSON.stringify(answer.body)).not.toContain(before[0]!.value);
  });
});

describe('rotateSecret: dryRun', () => {
  it('answers with the plan and checks and changes nothing at all', async () => {
    const api = setup();
    const worker = autoWorker(api.world);
    const before = fakeState(api.world, [api.openai, api.groq]);
    const answer = await api.rotate({ reason: 'what would happen?', compromised: true, dryRun: true });
    await new Promise((resolve) => setImmediate(resolve));
    worker.stop();
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      dryRun: true,
      reason: 'what would happen?',
      plan: {
        group: 'openai-main',
        wouldRotate: true,
        compromised: true,
        revoke: { will: true, credentialId: 'key1' },
      },
    });
    expect(answer.body.plan.propagate).toEqual(['chat-app', 'voice-app']);
    expect(answer.body.checks.map((c: { check: string; ok: boolean }) => [c.check, c.ok])).toEqual([
      ['config', true],
      ['key-vault', true],
      ['provider', true],
    ]);
    expect(fakeState(api.world, [api.openai, api.groq])).toEqual(before);
  });
});

describe('rotateSecret: errors', () => {
  it('400 for a bad body, unknown fields, a missing reason or a non-JSON body; nothing queued', async () => {
    const api = setup();
    const missing = await api.rotate({});
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].path).toBe('$.reason');
    expect((await api.rotate({ reason: 'x', compromized: true })).status).toBe(400);
    expect((await api.rotate({ reason: 'x'.repeat(501) })).status).toBe(400);
    expect(
      (await api.rotate(undefined, { raw: '{"reason":', headers: { 'content-type': 'application/json' } }))
        .status,
    ).toBe(400);
    expect((await api.rotate({ reason: 'x', ifCurrentVersion: 'not a version!' })).status).toBe(400);
    expect(api.world.queue.sent).toHaveLength(0);
  });

  it('400 for a malformed x-ms-client-principal', async () => {
    const api = setup();
    const answer = await api.rotate({ reason: 'x' }, { headers: { 'x-ms-client-principal': 'not base64!' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details[0].path).toBe('x-ms-client-principal');
  });

  it('404 for an unmanaged secret or an unknown vault', async () => {
    const api = setup();
    const unmanaged = await call(
      api.handler,
      api.context,
      '/api/secrets/nope/rotate',
      { reason: 'x' },
      {
        params: { name: 'nope' },
      },
    );
    expect(unmanaged).toMatchObject({ status: 404, body: { error: { code: 'UnmanagedSecret' } } });
    const vault = await api.rotate({ reason: 'x' }, { query: { vault: 'kv-other' } });
    expect(vault).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } });
    expect((await api.rotate({ reason: 'x' }, { query: { vault: 'KV-TEST' } })).status).not.toBe(404);
  });

  it('409 with the run id while a run of the group is in progress', async () => {
    const api = setup({ env: { HTTP_WAIT_SECONDS: '0' } });
    const first = await api.rotate({ reason: 'first' });
    expect(first.status).toBe(202);
    const second = await call(
      api.handler,
      api.context,
      '/api/secrets/openai-key-batch/rotate',
      { reason: 'second' },
      {
        params: { name: 'openai-key-batch' },
      },
    );
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({
      code: 'RunInProgress',
      details: [{ path: 'runId', message: first.body.id }],
    });
    expect(api.world.queue.sent).toHaveLength(1);
    // A compromise report is not blocked by a normal run in progress: the worker upgrades it.
    const compromised = await api.rotate({ reason: 'leak', compromised: true });
    expect(compromised.status).toBe(202);
    expect(compromised.body.id).toBe(first.body.id);
  });

  it('412 when ifCurrentVersion is not current; accepted when it is', async () => {
    const api = setup();
    const current = versionsOf(api, 'openai-key').at(-1)!.version;
    const stale = await api.rotate({ reason: 'x', ifCurrentVersion: 'deadbeef' });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ code: 'VersionMismatch' });
    expect(stale.body.error.details[0].message).toContain(current);
    expect(api.world.queue.sent).toHaveLength(0);
    const worker = autoWorker(api.world);
    const ok = await api.rotate({ reason: 'x', ifCurrentVersion: current.toUpperCase() });
    worker.stop();
    expect(ok.status).toBe(200);
    expect(ok.body.previousVersion).toBe(current);
  });

  it('413 for a body over 8 KiB', async () => {
    const api = setup();
    const answer = await api.rotate(undefined, {
      raw: JSON.stringify({ reason: 'x', pad: 'y'.repeat(9000) }),
    });
    expect(answer).toMatchObject({ status: 413, body: { error: { code: 'PayloadTooLarge' } } });
  });

  it('422 with the run when the provider rejects the new credential', async () => {
    const api = setup({ env: { HTTP_WAIT_SECONDS: '200' } });
    api.world.settings.validationTimeoutSeconds = 5;
    api.openai.validate = async () => ({
      ok: false,
      outcome: 'rejected',
      reason: '401 from the fake service',
    });
    const worker = autoWorker(api.world);
    const answer = await api.rotate({ reason: 'x' });
    worker.stop();
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('CredentialRejected');
    expect(answer.body.run).toMatchObject({ status: 'failed', error: { phase: 'validated' } });
    expect(answer.headers.location).toBe(`/api/runs/${answer.body.run.id}`);
  });

  it('503 + Retry-After when the provider is unavailable, or storage is down', async () => {
    const api = setup({ env: { HTTP_WAIT_SECONDS: '200' } });
    api.world.settings.validationTimeoutSeconds = 5;
    api.openai.validate = async () => ({
      ok: false,
      outcome: 'unavailable',
      reason: '503 from the fake service',
    });
    const worker = autoWorker(api.world);
    const answer = await api.rotate({ reason: 'x' });
    worker.stop();
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toMatch(/^\d+$/);

    const down = setup();
    down.world.faults.inject({ op: 'journal.get', times: Number.POSITIVE_INFINITY });
    const unavailable = await down.rotate({ reason: 'x' });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers['retry-after']).toBeDefined();
  });

  it('503 when rotation is paused (kill switch)', async () => {
    const api = setup();
    api.world.settings.paused = true;
    const answer = await api.rotate({ reason: 'x' });
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('RotationPaused');
  });
});

describe('rotateSecret: several vaults', () => {
  it('400 without ?vault=, and the named vault’s secret with it', async () => {
    const fake = createFakeApp({
      config: {
        vaults: [{ name: 'kv-a' }, { name: 'kv-b' }],
        secrets: {
          'jwt-a': { provider: 'jwt-secret', vault: 'kv-a', settings: {} },
          'jwt-b': { provider: 'jwt-secret', vault: 'kv-b', settings: {} },
        },
      },
      env: { HTTP_WAIT_SECONDS: '0' },
    });
    const api = createApiWorld();
    const handler = createRotateSecretHandler(fake.getApp);
    const rotate = (name: string, query: Record<string, string> = {}) =>
      call(handler, api.context, `/api/secrets/${name}/rotate`, { reason: 'x' }, { params: { name }, query });
    const missing = await rotate('jwt-a');
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toEqual([{ path: 'vault', message: 'one of kv-a, kv-b' }]);
    expect((await rotate('jwt-a', { vault: 'kv-b' })).status).toBe(404);
    const queued = await rotate('jwt-b', { vault: 'kv-b' });
    expect(queued.status).toBe(202);
    expect(queued.body.vault).toBe('kv-b');
  });
});
