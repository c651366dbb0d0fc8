import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createArmModule } from '../arm/index.js';
import { dispatch, testContext } from '../arm/testing.js';
import { computeAcsContentHash, computeAcsSignature, parseAcsAuthorization } from './acs-hmac.js';
import { createDataPlanesModule } from './index.js';

const ORIGIN = 'https://127.0.0.1:4430';
const OPERATION = '/acs/acs-main/emails/operations/0f6c5d9e-1a2b?api-version=2023-03-31';

/**
 * Signs like `@azure/communication-common`'s access-key policy, written out independently of the module
 * under test: string-to-sign `VERB\npath?query\ndate;host;hash`, HMAC keyed with the base64-decoded key.
 */
function sign(opts: {
  method: string;
  path: string;
  key: string;
  body?: string;
  date?: Date;
  host?: string;
}) {
  const body = opts.body ?? '';
  const date = (opts.date ?? new Date()).toUTCString();
  const host = opts.host ?? new URL(ORIGIN).host;
  const hash = createHash('sha256').update(body).digest('base64');
  const signature = createHmac('sha256', Buffer.from(opts.key, 'base64'))
    .update(`${opts.method}\n${opts.path}\n${date};${host};${hash}`)
    .digest('base64');
  return {
    host,
    'x-ms-date': date,
    'x-ms-content-sha256': hash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
  };
}

function setup() {
  const { ctx, clock } = testContext(ORIGIN);
  const arm = createArmModule(ctx, [
    { type: 'Microsoft.Communication/communicationServices', resourceGroup: 'rg', name: 'acs-main' },
  ]);
  const planes = createDataPlanesModule(ctx, arm);
  const id = arm.list()[0]?.id ?? '';
  const keys = () => arm.communicationKeys(id);
  const call = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    dispatch(
      [...arm.routes, ...planes.routes],
      { method, path, headers, ...(body === undefined ? {} : { body }) },
      ORIGIN,
    );
  return { arm, planes, clock, id, keys, call };
}

const reason = (res: { headers?: Record<string, string> }) => res.headers?.['x-emulator-deny-reason'];

describe('ACS HMAC helpers', () => {
  it('hashes an empty body to the known SHA-256 value', () => {
    expect(computeAcsContentHash('')).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });

  it('computes the same signature as the SDK formula', () => {
    const key = Buffer.alloc(64, 7).toString('base64');
    const date = new Date('2025-07-01T10:00:00Z');
    const headers = sign({ method: 'GET', path: OPERATION, key, date });
    const signature = computeAcsSignature({
      method: 'get',
      pathAndQuery: OPERATION,
      date: date.toUTCString(),
      host: '127.0.0.1:4430',
      contentHash: headers['x-ms-content-sha256'],
      accessKey: key,
    });
    expect(parseAcsAuthorization(headers.authorization)).toEqual({
      signedHeaders: ['x-ms-date', 'host', 'x-ms-content-sha256'],
      signature,
    });
  });
});

describe('ACS data plane', () => {
  it('accepts a request signed with either current key', async () => {
    const { keys, call } = setup();
    for (const key of [keys().primaryKey, keys().secondaryKey]) {
      const res = await call('GET', OPERATION, sign({ method: 'GET', path: OPERATION, key }));
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({ status: 'Succeeded' });
    }
  });

  it('accepts a signed POST with a body and answers 202 with an operation location', async () => {
    const { keys, call } = setup();
    const path = '/acs/acs-main/emails:send?api-version=2023-03-31';
    const body = JSON.stringify({ senderAddress: 'a@example.com', recipients: { to: [] } });
    const res = await call('POST', path, sign({ method: 'POST', path, key: keys().primaryKey, body }), body);
    expect(res.status).toBe(202);
    expect(res.headers?.['operation-location']).toMatch(/\/acs\/acs-main\/emails\/operations\//);
  });

  it('rejects a tampered body with the service’s 401', async () => {
    const { keys, call } = setup();
    const path = '/acs/acs-main/emails:send?api-version=2023-03-31';
    const headers = sign({ method: 'POST', path, key: keys().primaryKey, body: '{"a":1}' });
    const res = await call('POST', path, headers, '{"a":2}');
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'Denied', message: 'Denied by the resource provider.' } });
    expect(reason(res)).toBe('content-hash-mismatch');
  });

  it('rejects a tampered path or query (signature mismatch)', async () => {
    const { keys, call } = setup();
    const headers = sign({ method: 'GET', path: OPERATION, key: keys().primaryKey });
    const res = await call('GET', OPERATION.replace('2023-03-31', '2024-01-01'), headers);
    expect(res.status).toBe(401);
    expect(reason(res)).toBe('signature-mismatch');
  });

  it('rejects a date more than 15 minutes from the emulator clock, either way', async () => {
    const { keys, clock, call } = setup();
    const key = keys().primaryKey;
    const stale = new Date(clock.now().getTime() - 16 * 60_000);
    const future = new Date(clock.now().getTime() + 16 * 60_000);
    const near = new Date(clock.now().getTime() - 14 * 60_000);
    expect(
      reason(await call('GET', OPERATION, sign({ method: 'GET', path: OPERATION, key, date: stale }))),
    ).toBe('date-skew');
    expect(
      reason(await call('GET', OPERATION, sign({ method: 'GET', path: OPERATION, key, date: future }))),
    ).toBe('date-skew');
    expect(
      (await call('GET', OPERATION, sign({ method: 'GET', path: OPERATION, key, date: near }))).status,
    ).toBe(200);
  });

  it('judges the date by the emulator clock, not the wall clock', async () => {
    const { keys, clock, call } = setup();
    clock.advance(40 * 86_400_000);
    const key = keys().primaryKey;
    const wall = await call('GET', OPERATION, sign({ method: 'GET', path: OPERATION, key }));
    expect(reason(wall)).toBe('date-skew');
    const emulated = await call(
      'GET',
      OPERATION,
      sign({ method: 'GET', path: OPERATION, key, date: clock.now() }),
    );
    expect(emulated.status).toBe(200);
  });

  it('verifies against the Host header as sent (the JS SDK sends host:port:port when a port is present)', async () => {
    const { keys, call } = setup();
    const quirky = sign({
      method: 'GET',
      path: OPERATION,
      key: keys().primaryKey,
      host: '127.0.0.1:4430:4430',
    });
    expect((await call('GET', OPERATION, quirky)).status).toBe(200);
  });

  it('rejects a wrong key, a missing header, and a signature over another host', async () => {
    const { keys, call } = setup();
    const wrongKey = Buffer.alloc(64, 1).toString('base64');
    expect(
      reason(await call('GET', OPERATION, sign({ method: 'GET', path: OPERATION, key: wrongKey }))),
    ).toBe('signature-mismatch');
    const { authorization: _omit, ...unsigned } = sign({
      method: 'GET',
      path: OPERATION,
      key: keys().primaryKey,
    });
    expect(reason(await call('GET', OPERATION, unsigned))).toBe('missing-authorization');
    const otherHost = sign({
      method: 'GET',
      path: OPERATION,
      key: keys().primaryKey,
      host: 'evil.example:443',
    });
    const res = await call('GET', OPERATION, { ...otherHost, host: '127.0.0.1:4430' });
    expect(reason(res)).toBe('signature-mismatch');
  });

  it('rejects the old key once regenerated and accepts the new one', async () => {
    const { arm, planes, id, keys, call } = setup();
    const old = keys().primaryKey;
    const regen = await dispatch(arm.routes, {
      method: 'POST',
      path: `${id}/regenerateKey?api-version=2025-05-01`,
      headers: { authorization: 'Bearer t' },
      body: { keyType: 'Primary' },
    });
    const fresh = (regen.json() as { primaryKey: string }).primaryKey;
    expect((await call('GET', OPERATION, sign({ method: 'GET', path: OPERATION, key: old }))).status).toBe(
      401,
    );
    expect((await call('GET', OPERATION, sign({ method: 'GET', path: OPERATION, key: fresh }))).status).toBe(
      200,
    );
    expect(planes.isValid('azure-communication', id, old)).toBe(false);
    expect(planes.isValid('azure-communication', 'acs-main', keys().primaryConnectionString)).toBe(true);
  });

  it('verifies other paths under the resource too, then answers 404', async () => {
    const { keys, call } = setup();
    const path = '/acs/acs-main/identities?api-version=2023-10-01';
    expect(
      (await call('POST', path, sign({ method: 'POST', path, key: Buffer.alloc(64).toString('base64') })))
        .status,
    ).toBe(401);
    expect((await call('POST', path, sign({ method: 'POST', path, key: keys().secondaryKey }))).status).toBe(
      404,
    );
  });
});
