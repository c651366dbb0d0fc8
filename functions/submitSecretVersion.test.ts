import { randomBytes } from 'node:crypto';
import azureFunctions from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { enqueueRotation } from '../rotation/engine/index.js';
import { runRequest } from '../rotation/fakes/index.js';
import { autoWorker, call } from '../test/support/http-api.js';
import { DAY, leakSurface, type ManualWorld, manualWorld, VAULT } from '../test/support/manual-world.js';
import { encodeClientPrincipal } from './http/caller.js';
import { createSubmitSecretVersionHandler, VERSIONS_MAX_BYTES } from './submitSecretVersion.js';

const context = new azureFunctions.InvocationContext({
  functionName: 'submitSecretVersion',
  logHandler: () => {},
});

/**
 * `HTTP_WAIT_SECONDS` 200 unless a test sets it: the fake clock jumps while the event loop is idle, so a
 * short fake wait could run out before the worker (drained after every enqueue during a call) is done.
 */
function setup(options: Parameters<typeof manualWorld>[0] = {}) {
  const w = manualWorld({ ...options, env: { HTTP_WAIT_SECONDS: '200', ...options.env } });
  const handler = createSubmitSecretVersionHandler(w.getApp);
  const submit = async (
    name: string,
    body: unknown,
    extra: Parameters<typeof call>[4] = {},
    { worker: working = true } = {},
  ) => {
    const worker = working ? autoWorker(w.world) : undefined;
    try {
      return await call(handler, context, `/api/secrets/${name}/versions`, body, {
        params: { name },
        ...extra,
      });
    } finally {
      worker?.stop();
    }
  };
  return { w, submit };
}

/** Near expiry for a secret: the worker ends the run `manual-action-required` with an open task. */
async function openTask(w: ManualWorld, secret = 'groq-api-key') {
  await enqueueRotation(w.world.deps, runRequest(w.world, { vault: VAULT, secret }));
  const [run] = await w.world.drain();
  expect(run?.status).toBe('manual-action-required');
  return run!;
}

/** When the run shown in an answer entered `phase`. */
function phaseAt(run: { phases: { phase: string; at: string }[] }, phase: string): string {
  const entry = run.phases.find((p) => p.phase === phase);
  if (!entry) throw new Error(`the run never entered ${phase}`);
  return entry.at;
}

function state(w: ManualWorld) {
  return structuredClone({ store: w.world.store.snapshot(), journal: w.world.journal.all() });
}

describe('submitSecretVersion: the worker propagates', () => {
  it('answers 201 once promoted when the worker has not finished within HTTP_WAIT_SECONDS: nothing restarted in the call', async () => {
    const { w, submit } = setup({ env: { HTTP_WAIT_SECONDS: '0' } });
    const task = await openTask(w);
    const minted = w.groq.mint();
    w.values.push(minted);
    const answer = await submit('groq-api-key', { value: minted }, {}, { worker: false });

    expect([answer.status, answer.headers.location]).toEqual([201, `/api/runs/${task.id}`]);
    expect(answer.body).toMatchObject({
      id: task.id,
      status: 'running',
      phase: 'promoted',
      credentialId: 'gen-4',
    });
    expect(answer.body.revokeOld).toContain(`…${w.groqKey.slice(-4)}`);
    expect(w.world.store.peek(VAULT, 'groq-api-key')?.value).toBe(minted);
    expect(w.world.propagator.calls).toHaveLength(0);
    // The worker takes it from there: propagated, and the run ends with the operator's reminder.
    const [run] = await w.world.drain();
    expect(run).toMatchObject({ id: task.id, status: 'done', phase: 'done' });
    expect(w.world.propagator.calls).toHaveLength(1);
    expect(w.world.notifier.alerts.at(-1)!.text).toContain(answer.body.revokeOld);
    expect(leakSurface(w, answer)).not.toContain(minted);
  });
});

describe('submitSecretVersion: a valid key is promoted', () => {
  it('201: promoted as gen-N to Key Vault, propagated, the open task closed, the old key named for revocation', async () => {
    const { w, submit } = setup();
    const task = await openTask(w);
    const before = w.world.store.peek(VAULT, 'groq-api-key')!;
    const minted = w.groq.mint();
    w.values.push(minted);
    const principal = encodeClientPrincipal({ name: 'alice@contoso.com', nameType: 'preferred_username' });
    const answer = await submit(
      'groq-api-key',
      { value: minted },
      { headers: { 'x-ms-client-principal': principal } },
    );

    expect(answer.status).toBe(201);
    expect(answer.headers.location).toBe(`/api/runs/${task.id}`);
    expect(answer.body).toMatchObject({
      id: task.id,
      status: 'done',
      credentialId: 'gen-4',
      previousCredentialId: 'gen-3',
      keyHint: minted.slice(-4),
      previousKeyHint: w.groqKey.slice(-4),
      previousVersion: before.version,
      task: { closedBy: { via: 'submission', caller: 'alice@contoso.com (aad)' }, urgent: false },
    });
    expect(answer.body.phases.map((p: { phase: string }) => p.phase)).toEqual([
      'queued',
      'claimed',
      'issued',
      'validated',
      'promoted',
      'propagated',
      'done',
    ]);
    expect(answer.body.task.closedAt).toBeDefined();
    expect(answer.body.pendingHuman).toEqual([]);
    expect(answer.body.revokeOld).toContain(before.version);
    expect(answer.body.revokeOld).toContain(`…${w.groqKey.slice(-4)}`);

    const current = w.world.store.peek(VAULT, 'groq-api-key')!;
    expect(current.value).toBe(minted);
    expect(current.version).toBe(answer.body.newVersion);
    expect(current.tags).toEqual({
      team: 'ai',
      RotatedBy: 'key-vault-rotator',
      RotationId: task.id,
      Provider: 'groq',
      CredentialId: 'gen-4',
      ValidityPeriodDays: '90',
    });
    expect(current.contentType).toBe('text/plain');
    // Fresh expiry from when it was promoted (the answer then waited for the worker on the fake clock).
    expect(current.expiresOn?.getTime()).toBe(Date.parse(phaseAt(answer.body, 'promoted')) + 90 * DAY);
    expect(w.world.propagator.calls.map((c) => c.runId)).toEqual([task.id]);
    expect(answer.body.consumers.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([
      ['chat-app', 'ok'],
    ]);
    const done = w.world.notifier.alerts.at(-1)!;
    expect(done.text).toContain('The rotation task is closed');
    expect(done.text).toContain(before.version);
    expect(leakSurface(w, answer)).not.toContain(minted);
    expect(leakSurface(w, answer)).not.toContain(w.groqKey);
  });

  it('201 without an open task: a run of its own, the submitted contentType, gen-1 after an untagged version', async () => {
    const { w, submit } = setup();
    const pair = w.razorpay.mint();
    w.values.push(pair.keySecret);
    const answer = await submit('razorpay-key-id', {
      value: pair.keyId,
      contentType: 'application/x-razorpay-key',
      with: { 'razorpay-key-secret': pair.keySecret },
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ status: 'done', credentialId: 'gen-1', trigger: 'submission' });
    expect(answer.body.task).toBeUndefined();
    const id = w.world.store.peek(VAULT, 'razorpay-key-id')!;
    const secret = w.world.store.peek(VAULT, 'razorpay-key-secret')!;
    expect([id.value, secret.value]).toEqual([pair.keyId, pair.keySecret]);
    expect(id.tags.RotationId).toBe(answer.body.id);
    expect(secret.tags.RotationId).toBe(answer.body.id);
    expect(secret.tags.CredentialId).toBe('gen-1');
    expect(secret.contentType).toBe('application/x-razorpay-key');
    expect(id.expiresOn?.getTime()).toBe(Date.parse(phaseAt(answer.body, 'promoted')) + 180 * DAY);
    expect(leakSurface(w, answer)).not.toContain(pair.keySecret);
  });

  it('the Razorpay pair is checked together: a new key secret with the old key id is rejected', async () => {
    const { w, submit } = setup();
    const pair = w.razorpay.mint();
    const before = state(w);
    const answer = await submit('razorpay-key-secret', { value: pair.keySecret });
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('CredentialRejected');
    expect(state(w)).toEqual(before);
    expect(leakSurface(w, answer)).not.toContain(pair.keySecret);
  });
});

describe('submitSecretVersion: nothing written when it cannot be promoted', () => {
  it('422 with the provider reason; Key Vault, journal and task unchanged', async () => {
    const { w, submit } = setup();
    const task = await openTask(w);
    const before = state(w);
    const bogus = w.groq.bogus();
    const answer = await submit('groq-api-key', { value: bogus });
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({ code: 'CredentialRejected' });
    expect(answer.body.error.message).toContain('Invalid API Key');
    expect(state(w)).toEqual(before);
    expect(w.world.journal.peek(task.id)?.task?.closedAt).toBeUndefined();
    expect(leakSurface(w, answer)).not.toContain(bogus);
  });

  it('503 + Retry-After when the provider cannot be asked (an outage is not proof the key is bad)', async () => {
    const { w, submit } = setup();
    const minted = w.groq.mint();
    w.groq.outage = true;
    const before = state(w);
    const answer = await submit('groq-api-key', { value: minted });
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('7');
    expect(answer.body.error.code).toBe('ProviderUnavailable');
    expect(state(w)).toEqual(before);
    expect(leakSurface(w, answer)).not.toContain(minted);
  });

  it('413 over 32 KiB, before anything is parsed or asked', async () => {
    const { w, submit } = setup();
    const value = randomBytes(VERSIONS_MAX_BYTES).toString('hex');
    const answer = await submit('groq-api-key', { value });
    expect(answer.status).toBe(413);
    expect(w.groq.checks).toBe(0);
    expect(JSON.stringify(answer)).not.toContain(value.slice(0, 64));
  });

  it('400 for a bad body, never echoing a value', async () => {
    const { w, submit } = setup();
    const minted = w.groq.mint();
    const cases: [unknown, string][] = [
      [{}, '$.value'],
      [{ value: '' }, '$.value'],
      [{ value: minted, extra: minted }, '$'],
      [{ value: 42 }, '$.value'],
      [{ value: minted, with: { 'not a name': minted } }, '$.with'],
    ];
    for (const [body, path] of cases) {
      const answer = await submit('groq-api-key', body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.error.details.map((d: { path: string }) => d.path).join(' ')).toContain(path);
      expect(JSON.stringify(answer)).not.toContain(minted);
    }
    const malformed = await submit('groq-api-key', undefined, { raw: `{"value":"${minted}"` });
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(malformed)).not.toContain(minted);
    expect(w.groq.checks).toBe(0);
  });

  it('400 for partners outside the group, the value Key Vault serves now, or an automatic provider', async () => {
    const { w, submit } = setup();
    const minted = w.groq.mint();
    const outside = await submit('groq-api-key', {
      value: minted,
      with: { 'razorpay-key-id': 'rzp_test_x' },
    });
    expect(outside.status).toBe(400);
    expect(outside.body.error.details).toEqual([
      { path: '$.with["razorpay-key-id"]', message: 'is not a secret of this credential group' },
    ]);
    const same = await submit('groq-api-key', { value: w.groqKey });
    expect(same.status).toBe(400);
    expect(same.body.error.message).toContain('serves');
    const jwt = await submit('jwt-secret-key', { value: randomBytes(48).toString('base64url') });
    expect(jwt.status).toBe(400);
    expect(jwt.body.error.message).toContain('/rotate');
    expect(w.groq.checks).toBe(0);
    expect(leakSurface(w, outside, same)).not.toContain(w.groqKey);
  });

  it('404 for a secret or vault the rotator does not manage', async () => {
    const { submit } = setup();
    const unmanaged = await submit('other-secret', { value: 'x'.repeat(20) });
    expect(unmanaged.status).toBe(404);
    expect(unmanaged.body.error.code).toBe('UnmanagedSecret');
    const vault = await submit(
      'groq-api-key',
      { value: 'x'.repeat(20) },
      { query: { vault: 'kv-elsewhere' } },
    );
    expect(vault.status).toBe(404);
  });

  it('409 while a run of the group is queued or running, or its lease is held', async () => {
    const { w, submit } = setup();
    const minted = w.groq.mint();
    await enqueueRotation(w.world.deps, runRequest(w.world, { vault: VAULT, secret: 'groq-api-key' }));
    const queued = await submit('groq-api-key', { value: minted });
    expect(queued.status).toBe(409);
    expect(queued.body.error.code).toBe('RunInProgress');
    expect(queued.body.error.details).toEqual([{ path: 'runId', message: expect.any(String) }]);
    await w.world.drain();

    const lease = await w.world.locks.tryAcquire('kv-test/groq-api-key', 30);
    expect(lease).toBeDefined();
    const held = await submit('groq-api-key', { value: minted });
    expect(held.status).toBe(409);
    expect(held.headers['retry-after']).toBeDefined();
    await lease!.release();
    expect(w.groq.checks).toBe(0);
    expect((await submit('groq-api-key', { value: minted })).status).toBe(201);
  });

  it('503 while ROTATION_PAUSED is set', async () => {
    const { w, submit } = setup();
    w.world.settings.paused = true;
    const answer = await submit('groq-api-key', { value: w.groq.mint() });
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('RotationPaused');
  });
});
