import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createArmModule } from '../arm/index.js';
import { dispatch, type TestRequest, testContext } from '../arm/testing.js';
import { createDataPlanesModule, type ManualDataPlaneKind } from './index.js';

/** The same value with its last character changed (never to the character it already has). */
function spoil(value: string): string {
  return `${value.slice(0, -1)}${value.endsWith('x') ? 'y' : 'x'}`;
}

function setup() {
  const { ctx } = testContext();
  const arm = createArmModule(ctx, []);
  const planes = createDataPlanesModule(ctx, arm);
  const call = (req: TestRequest) => dispatch([...planes.routes, ...planes.controlRoutes], req);
  return { planes, call };
}

const FORMATS: Record<ManualDataPlaneKind, RegExp> = {
  'together-ai': /^[0-9a-f]{64}$/,
  groq: /^gsk_[A-Za-z0-9]{52}$/,
  deepseek: /^sk-[0-9a-f]{32}$/,
  qwen: /^sk-[0-9a-f]{32}$/,
  razorpay: /^rzp_test_[A-Za-z0-9]{14}:[A-Za-z0-9]{24}$/,
  recaptcha: /^6L[A-Za-z0-9_-]{38}$/,
};

const BEARER = [
  {
    kind: 'together-ai' as const,
    path: '/together/v1/models',
    denied: { code: 'invalid_api_key', type: 'invalid_request_error' },
  },
  {
    kind: 'groq' as const,
    path: '/groq/openai/v1/models',
    denied: { message: 'Invalid API Key', type: 'invalid_request_error', code: 'invalid_api_key' },
  },
  { kind: 'deepseek' as const, path: '/deepseek/models', denied: { type: 'authentication_error' } },
  { kind: 'qwen' as const, path: '/qwen/compatible-mode/v1/models', denied: { code: 'invalid_api_key' } },
];

describe('manual credentials', () => {
  it('mints fresh values in each provider’s format', () => {
    const { planes } = setup();
    for (const [kind, pattern] of Object.entries(FORMATS) as [ManualDataPlaneKind, RegExp][]) {
      const a = planes.mintCredential(kind);
      const b = planes.mintCredential(kind);
      expect(a.value).toMatch(pattern);
      expect(a.value).not.toBe(b.value);
      expect(a.last4).toBe(a.value.slice(-4));
      expect(planes.isValid(kind, kind, a.value)).toBe(true);
    }
  });

  it('seeds a given value as valid, and refuses a malformed one', () => {
    const { planes } = setup();
    const minted = planes.mintCredential('groq').value;
    const other = setup().planes;
    const seeded = other.seedCredential('groq', minted);
    expect(other.isValid('groq', 'groq', minted)).toBe(true);
    expect(other.seedCredential('groq', minted).id).toBe(seeded.id);
    expect(() => other.seedCredential('groq', 'sk-not-groq')).toThrow(/gsk_/);
    expect(other.credentials('groq')).toHaveLength(1);
  });

  it('has no data plane for jwt-secret or mongodb', () => {
    const { planes } = setup();
    expect(() => planes.isValid('mongodb', 'mongodb', 'x')).toThrow(/no data plane/);
    expect(() => planes.isValid('jwt-secret', 'x', 'x')).toThrow(/no data plane/);
  });
});

describe.each(BEARER)('$kind models listing', ({ kind, path, denied }) => {
  it('answers 200 for a live key, the service’s 401 for a wrong one, 401 once revoked', async () => {
    const { planes, call } = setup();
    const cred = planes.mintCredential(kind);
    const ok = await call({ method: 'GET', path, headers: { authorization: `Bearer ${cred.value}` } });
    expect(ok.status).toBe(200);
    const list = ok.json();
    expect(Array.isArray(list) || (list as { object?: string }).object === 'list').toBe(true);

    const wrong = await call({
      method: 'GET',
      path,
      headers: { authorization: `Bearer ${spoil(cred.value)}` },
    });
    expect(wrong.status).toBe(401);
    expect((wrong.json() as { error: object }).error).toMatchObject(denied);
    expect((await call({ method: 'GET', path })).status).toBe(401);

    expect(planes.revokeCredential(kind, cred.last4)).toBe(1);
    const revoked = await call({ method: 'GET', path, headers: { authorization: `Bearer ${cred.value}` } });
    expect(revoked.status).toBe(401);
    expect(planes.isValid(kind, kind, cred.value)).toBe(false);
  });
});

describe('Razorpay', () => {
  const basic = (pair: string) => ({ authorization: `Basic ${Buffer.from(pair).toString('base64')}` });
  const path = '/razorpay/v1/payments?count=1';

  it('needs the key id and secret of one live credential', async () => {
    const { planes, call } = setup();
    const a = planes.mintCredential('razorpay');
    const b = planes.mintCredential('razorpay');
    const ok = await call({ method: 'GET', path, headers: basic(a.value) });
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ entity: 'collection', count: 0, items: [] });
    expect(a.value).toBe(`${a.keyId}:${a.keySecret}`);

    const mixed = await call({ method: 'GET', path, headers: basic(`${a.keyId}:${b.keySecret}`) });
    expect(mixed.status).toBe(401);
    expect(mixed.json()).toEqual({
      error: {
        code: 'BAD_REQUEST_ERROR',
        description: 'The api key provided is invalid',
        source: 'NA',
        step: 'NA',
        reason: 'NA',
        metadata: {},
        field: 'NA',
      },
    });
    planes.revokeCredential('razorpay', a.id);
    expect((await call({ method: 'GET', path, headers: basic(a.value) })).status).toBe(401);
    expect((await call({ method: 'GET', path, headers: basic(b.value) })).status).toBe(200);
  });
});

describe('reCAPTCHA siteverify', () => {
  const verify = (call: ReturnType<typeof setup>['call'], form: Record<string, string>) =>
    call({
      method: 'POST',
      path: '/recaptcha/api/siteverify',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });

  it('tells a good secret (invalid-input-response) from a bad one (invalid-input-secret)', async () => {
    const { planes, call } = setup();
    const secret = planes.mintCredential('recaptcha').value;
    const good = await verify(call, { secret, response: 'dummy-token' });
    expect(good.status).toBe(200);
    expect(good.json()).toEqual({ success: false, 'error-codes': ['invalid-input-response'] });
    const bad = await verify(call, { secret: spoil(secret), response: 'dummy-token' });
    expect(bad.json()).toEqual({ success: false, 'error-codes': ['invalid-input-secret'] });
    planes.revokeCredential('recaptcha', secret);
    expect((await verify(call, { secret, response: 'dummy' })).json()).toEqual({
      success: false,
      'error-codes': ['invalid-input-secret'],
    });
    expect((await verify(call, {})).json()).toEqual({
      success: false,
      'error-codes': ['missing-input-secret'],
    });
  });
});

describe('credentials control API', () => {
  it('mints, seeds, lists without values, and revokes by last 4 or id', async () => {
    const { planes, call } = setup();
    const minted = await call({ method: 'POST', path: '/_emulator/providers/deepseek/credentials' });
    expect(minted.status).toBe(201);
    const cred = minted.json() as { id: string; value: string; last4: string };
    expect(cred.value).toMatch(FORMATS.deepseek);
    expect(planes.isValid('deepseek', 'deepseek', cred.value)).toBe(true);

    const seedValue = `sk-${randomBytes(16).toString('hex')}`;
    const seeded = await call({
      method: 'POST',
      path: '/_emulator/providers/deepseek/credentials',
      body: { value: seedValue },
    });
    expect(seeded.status).toBe(201);
    const bad = await call({
      method: 'POST',
      path: '/_emulator/providers/deepseek/credentials',
      body: { value: 'x' },
    });
    expect(bad.status).toBe(400);

    const listed = await call({ method: 'GET', path: '/_emulator/providers/deepseek/credentials' });
    expect(listed.text()).not.toContain(cred.value);
    expect((listed.json() as { value: unknown[] }).value).toHaveLength(2);

    const revoked = await call({
      method: 'DELETE',
      path: `/_emulator/providers/deepseek/credentials/${cred.last4}`,
    });
    expect(revoked.json()).toEqual({ revoked: 1 });
    expect(planes.isValid('deepseek', 'deepseek', cred.value)).toBe(false);
    expect(planes.isValid('deepseek', 'deepseek', seedValue)).toBe(true);
    const again = await call({
      method: 'DELETE',
      path: `/_emulator/providers/deepseek/credentials/${cred.id}`,
    });
    expect(again.status).toBe(404);
    expect((await call({ method: 'POST', path: '/_emulator/providers/mongodb/credentials' })).status).toBe(
      404,
    );
  });
});
