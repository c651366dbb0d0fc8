import { describe, expect, it } from 'vitest';
import { createArmModule } from '../arm/index.js';
import { dispatch, type TestRequest, testContext } from '../arm/testing.js';
import { createDataPlanesModule } from './index.js';

const INVALID =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an ' +
  'active subscription and use a correct regional API endpoint for your resource.';

function setup() {
  const { ctx } = testContext();
  const arm = createArmModule(ctx, [
    { type: 'Microsoft.CognitiveServices/accounts', resourceGroup: 'rg', name: 'oai' },
    {
      type: 'Microsoft.CognitiveServices/accounts',
      resourceGroup: 'rg',
      name: 'speech',
      kind: 'SpeechServices',
    },
  ]);
  const planes = createDataPlanesModule(ctx, arm);
  const call = (req: TestRequest) => dispatch([...arm.routes, ...planes.routes], req);
  const id = (name: string) => arm.list().find((r) => r.name === name)?.id ?? '';
  const models = (key?: string) =>
    call({
      method: 'GET',
      path: '/cs/oai/openai/models?api-version=2024-10-21',
      headers: key === undefined ? {} : { 'api-key': key },
    });
  const token = (key: string) =>
    call({
      method: 'POST',
      path: '/cs/speech/sts/v1.0/issueToken',
      headers: { 'ocp-apim-subscription-key': key },
    });
  return { arm, planes, call, id, models, token };
}

describe('Azure OpenAI data plane', () => {
  it('lists models for either current key', async () => {
    const { arm, id, models } = setup();
    const keys = arm.cognitiveKeys(id('oai'));
    for (const key of [keys.key1, keys.key2]) {
      const res = await models(key);
      expect(res.status).toBe(200);
      const body = res.json() as { object: string; data: { id: string }[] };
      expect(body.object).toBe('list');
      expect(body.data.length).toBeGreaterThan(0);
    }
  });

  it('answers the service’s 401 body for a wrong or missing key', async () => {
    const { models } = setup();
    const wrong = await models('0'.repeat(32));
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toEqual({ error: { code: '401', message: INVALID } });
    const missing = await models();
    expect(missing.status).toBe(401);
    expect((missing.json() as { error: { message: string } }).error.message).toContain(
      'missing subscription key',
    );
  });

  it('rejects the old key after regeneration and accepts the new one', async () => {
    const { arm, planes, id, models, call } = setup();
    const old = arm.cognitiveKeys(id('oai')).key1;
    const regen = await call({
      method: 'POST',
      path: `${id('oai')}/regenerateKey?api-version=2025-09-01`,
      headers: { authorization: 'Bearer t' },
      body: { keyName: 'Key1' },
    });
    const fresh = (regen.json() as { key1: string }).key1;
    expect((await models(old)).status).toBe(401);
    expect((await models(fresh)).status).toBe(200);
    expect(planes.isValid('azure-cognitive-services', id('oai'), old)).toBe(false);
    expect(planes.isValid('azure-cognitive-services', 'oai', fresh)).toBe(true);
  });

  it('answers 404 on an account of another kind or an unknown account', async () => {
    const { arm, id, call } = setup();
    const speechKey = arm.cognitiveKeys(id('speech')).key1;
    const res = await call({
      method: 'GET',
      path: '/cs/speech/openai/models?api-version=2024-10-21',
      headers: { 'api-key': speechKey },
    });
    expect(res.status).toBe(404);
    expect((await call({ method: 'GET', path: '/cs/ghost/openai/models?api-version=1' })).status).toBe(404);
  });
});

describe('Azure Speech data plane', () => {
  it('issues a JWT-shaped token for a current key', async () => {
    const { arm, id, token } = setup();
    const res = await token(arm.cognitiveKeys(id('speech')).key2);
    expect(res.status).toBe(200);
    expect(res.headers?.['content-type']).toContain('application/jwt');
    const parts = String(res.body).split('.');
    expect(parts).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(claims.scope).toBe('speechservices');
  });

  it('answers 401 for a wrong key and for a revoked (regenerated) one', async () => {
    const { arm, id, token } = setup();
    const wrong = await token('f'.repeat(32));
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toEqual({ error: { code: '401', message: INVALID } });
    const old = arm.cognitiveKeys(id('speech')).key2;
    const regen = await dispatch(arm.routes, {
      method: 'POST',
      path: `${id('speech')}/regenerateKey?api-version=2025-09-01`,
      headers: { authorization: 'Bearer t' },
      body: { keyName: 'key2' },
    });
    expect(regen.status).toBe(200);
    expect((await token(old)).status).toBe(401);
  });
});
