import { describe, expect, it } from 'vitest';
import { type ArmModule, createArmModule, type ResourceDeclaration } from './index.js';
import { COGNITIVE_KEY_PATTERN, COMMUNICATION_KEY_PATTERN } from './keys.js';
import { dispatch, type TestRequest, testContext } from './testing.js';

const SUB = '00000000-1111-2222-3333-444444444444';
const CS = `/subscriptions/${SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/oai-main`;
const ACS = `/subscriptions/${SUB}/resourceGroups/rg-comm/providers/Microsoft.Communication/communicationServices/acs-main`;
const SITE = `/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Web/sites/app-main`;
const AUTH = { authorization: 'Bearer local-token', 'content-type': 'application/json' };

const declarations: ResourceDeclaration[] = [
  {
    type: 'Microsoft.CognitiveServices/accounts',
    subscriptionId: SUB,
    resourceGroup: 'rg-ai',
    name: 'oai-main',
  },
  {
    type: 'Microsoft.CognitiveServices/accounts',
    subscriptionId: SUB,
    resourceGroup: 'rg-ai',
    name: 'speech-main',
    kind: 'SpeechServices',
  },
  {
    type: 'Microsoft.Communication/communicationServices',
    subscriptionId: SUB,
    resourceGroup: 'rg-comm',
    name: 'acs-main',
  },
  {
    type: 'Microsoft.Web/sites',
    subscriptionId: SUB,
    resourceGroup: 'rg-web',
    name: 'app-main',
    slots: ['staging'],
  },
];

function setup() {
  const { ctx, clock } = testContext();
  const arm = createArmModule(ctx, declarations);
  const call = (req: TestRequest) => dispatch([...arm.routes, ...arm.controlRoutes], req);
  const post = (path: string, body?: object) =>
    call({ method: 'POST', path: `${path}?api-version=2025-09-01`, headers: AUTH, body });
  return { arm, clock, call, post };
}

function errorOf(body: unknown): { code: string; message: string } {
  return (body as { error: { code: string; message: string } }).error;
}

describe('Cognitive Services accounts', () => {
  it('serves the account with an endpoint on the emulator data plane', async () => {
    const { call } = setup();
    const res = await call({ method: 'GET', path: `${CS}?api-version=2025-09-01`, headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      id: CS,
      name: 'oai-main',
      type: 'Microsoft.CognitiveServices/accounts',
      kind: 'OpenAI',
      location: 'eastus',
      sku: { name: 'S0' },
      properties: { endpoint: 'https://127.0.0.1:4430/cs/oai-main/', provisioningState: 'Succeeded' },
    });
  });

  it('lists keys: 32 hex characters each, distinct', async () => {
    const { post } = setup();
    const res = await post(`${CS}/listKeys`);
    const keys = res.json() as { key1: string; key2: string };
    expect(res.status).toBe(200);
    expect(Object.keys(keys).sort()).toEqual(['key1', 'key2']);
    expect(keys.key1).toMatch(COGNITIVE_KEY_PATTERN);
    expect(keys.key2).toMatch(COGNITIVE_KEY_PATTERN);
    expect(keys.key1).not.toBe(keys.key2);
  });

  it('regenerates only the named key (Key2, capital K) and the old value stops being current', async () => {
    const { arm, post } = setup();
    const before = arm.cognitiveKeys(CS);
    const res = await post(`${CS}/regenerateKey`, { keyName: 'Key2' });
    const after = res.json() as { key1: string; key2: string };
    expect(res.status).toBe(200);
    expect(after.key1).toBe(before.key1);
    expect(after.key2).not.toBe(before.key2);
    expect(after.key2).toMatch(COGNITIVE_KEY_PATTERN);
    expect(arm.isCurrentKey('Microsoft.CognitiveServices/accounts', CS, before.key2)).toBe(false);
    expect(arm.isCurrentKey('Microsoft.CognitiveServices/accounts', 'OAI-MAIN', after.key2)).toBe(true);
  });

  it('rejects a regenerate body without a valid keyName and changes nothing', async () => {
    const { arm, post } = setup();
    const before = arm.cognitiveKeys(CS);
    for (const body of [{ keyName: 'Key3' }, {}, undefined]) {
      const res = await post(`${CS}/regenerateKey`, body);
      expect(res.status).toBe(400);
      expect(errorOf(res.json()).code).toBe('InvalidRequestContent');
    }
    expect(arm.cognitiveKeys(CS)).toEqual(before);
  });

  it('matches subscription, resource group and provider case-insensitively', async () => {
    const { post } = setup();
    const shouted = CS.replace('rg-ai', 'RG-AI').replace(
      'Microsoft.CognitiveServices',
      'microsoft.cognitiveservices',
    );
    expect((await post(`${shouted}/listKeys`)).status).toBe(200);
  });

  it('answers 404 ResourceNotFound with ARM’s message for an unknown account', async () => {
    const { post } = setup();
    const res = await post(`${CS.replace('oai-main', 'nope')}/listKeys`);
    expect(res.status).toBe(404);
    expect(errorOf(res.json())).toEqual({
      code: 'ResourceNotFound',
      message:
        "The Resource 'Microsoft.CognitiveServices/accounts/nope' under resource group 'rg-ai' was not found. " +
        'For more details please go to https://aka.ms/ARMResourceNotFoundFix',
    });
  });

  it('answers 403 AuthorizationFailed naming the action and scope when forbidden', async () => {
    const { arm, post } = setup();
    arm.setForbidden(CS, true);
    const before = arm.cognitiveKeys(CS);
    const res = await post(`${CS}/regenerateKey`, { keyName: 'Key1' });
    expect(res.status).toBe(403);
    const error = errorOf(res.json());
    expect(error.code).toBe('AuthorizationFailed');
    expect(error.message).toMatch(
      /^The client '[0-9a-f-]{36}' with object id '[0-9a-f-]{36}' does not have authorization to perform action 'Microsoft\.CognitiveServices\/accounts\/regenerateKey\/action' over scope '\/subscriptions\/.+\/accounts\/oai-main' or the scope is invalid\./,
    );
    expect(arm.cognitiveKeys(CS)).toEqual(before);
  });

  it('can forbid one action only (may list keys, may not regenerate)', async () => {
    const { arm, post } = setup();
    arm.setForbidden(CS, ['regenerateKey']);
    expect((await post(`${CS}/listKeys`)).status).toBe(200);
    expect((await post(`${CS}/regenerateKey`, { keyName: 'Key1' })).status).toBe(403);
    arm.setForbidden(CS, false);
    expect((await post(`${CS}/regenerateKey`, { keyName: 'Key1' })).status).toBe(200);
  });

  it('requires a bearer token and an api-version, as ARM does', async () => {
    const { call } = setup();
    const noAuth = await call({ method: 'POST', path: `${CS}/listKeys?api-version=2025-09-01` });
    expect(noAuth.status).toBe(401);
    expect(errorOf(noAuth.json()).code).toBe('AuthenticationFailed');
    const noVersion = await call({ method: 'POST', path: `${CS}/listKeys`, headers: AUTH });
    expect(noVersion.status).toBe(400);
    expect(errorOf(noVersion.json()).code).toBe('MissingApiVersionParameter');
  });
});

describe('Communication services', () => {
  it('serves hostName and dataLocation', async () => {
    const { call } = setup();
    const res = await call({ method: 'GET', path: `${ACS}?api-version=2025-05-01`, headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'acs-main',
      properties: { hostName: '127.0.0.1:4430/acs/acs-main', dataLocation: 'United States' },
    });
  });

  it('lists both keys (base64 of 64 bytes) with connection strings', async () => {
    const { post } = setup();
    const keys = (await post(`${ACS}/listKeys`)).json() as Record<string, string>;
    expect(Object.keys(keys).sort()).toEqual([
      'primaryConnectionString',
      'primaryKey',
      'secondaryConnectionString',
      'secondaryKey',
    ]);
    expect(keys.primaryKey).toMatch(COMMUNICATION_KEY_PATTERN);
    expect(Buffer.from(keys.primaryKey ?? '', 'base64')).toHaveLength(64);
    expect(keys.primaryConnectionString).toBe(
      `endpoint=https://127.0.0.1:4430/acs/acs-main/;accesskey=${keys.primaryKey}`,
    );
    expect(keys.secondaryConnectionString).toBe(
      `endpoint=https://127.0.0.1:4430/acs/acs-main/;accesskey=${keys.secondaryKey}`,
    );
  });

  it('regenerates Primary and returns only the regenerated half', async () => {
    const { arm, post } = setup();
    const before = arm.communicationKeys(ACS);
    const res = await post(`${ACS}/regenerateKey`, { keyType: 'Primary' });
    const body = res.json() as Record<string, string>;
    expect(res.status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['primaryConnectionString', 'primaryKey']);
    expect(body.primaryKey).not.toBe(before.primaryKey);
    expect(arm.communicationKeys(ACS).secondaryKey).toBe(before.secondaryKey);
    const type = 'Microsoft.Communication/communicationServices';
    expect(arm.isCurrentKey(type, ACS, before.primaryKey)).toBe(false);
    expect(arm.isCurrentKey(type, 'acs-main', body.primaryConnectionString ?? '')).toBe(true);
    expect(arm.isCurrentKey(type, 'acs-main', before.primaryConnectionString)).toBe(false);
  });

  it('regenerates Secondary and returns only secondary fields', async () => {
    const { post } = setup();
    const body = (await post(`${ACS}/regenerateKey`, { keyType: 'Secondary' })).json() as Record<
      string,
      string
    >;
    expect(Object.keys(body).sort()).toEqual(['secondaryConnectionString', 'secondaryKey']);
  });
});

describe('Web sites', () => {
  it('serves a running site', async () => {
    const { call } = setup();
    const res = await call({ method: 'GET', path: `${SITE}?api-version=2025-05-01`, headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ name: 'app-main', properties: { state: 'Running' } });
  });

  it('records restarts of the site and its slots with emulator and real time', async () => {
    const { arm, clock, call } = setup();
    clock.advance(3 * 86_400_000);
    const site = await call({
      method: 'POST',
      path: `${SITE}/restart?api-version=2025-05-01&softRestart=true&synchronous=false`,
      headers: AUTH,
    });
    const slot = await call({
      method: 'POST',
      path: `${SITE}/slots/STAGING/restart?api-version=x`,
      headers: AUTH,
    });
    expect([site.status, slot.status]).toEqual([200, 200]);
    expect(site.body).toBeUndefined();
    const log = arm.restarts();
    expect(log.map((r) => [r.site, r.slot, r.softRestart, r.synchronous])).toEqual([
      ['app-main', 'production', true, false],
      ['app-main', 'staging', undefined, undefined],
    ]);
    expect(log[0]?.at).toBe(clock.now().toISOString());
    expect(Math.abs(Date.parse(log[0]?.realAt ?? '') - Date.now())).toBeLessThan(60_000);
  });

  it('answers 404 for an unknown slot and 403 for a forbidden restart, recording nothing', async () => {
    const { arm, call } = setup();
    const unknown = await call({
      method: 'POST',
      path: `${SITE}/slots/qa/restart?api-version=x`,
      headers: AUTH,
    });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.json()).message).toContain("'Microsoft.Web/sites/app-main/slots/qa'");
    arm.setForbidden(SITE, ['restart']);
    const denied = await call({ method: 'POST', path: `${SITE}/restart?api-version=x`, headers: AUTH });
    expect(denied.status).toBe(403);
    expect(errorOf(denied.json()).message).toContain("'Microsoft.Web/sites/restart/action'");
    expect(arm.restarts()).toEqual([]);
  });
});

describe('control API', () => {
  it('declares a resource, forbids it and lists restarts', async () => {
    const { call } = setup();
    const id = `/subscriptions/${SUB}/resourceGroups/rg-x/providers/Microsoft.CognitiveServices/accounts/new-acc`;
    const created = await call({
      method: 'POST',
      path: '/_emulator/resources',
      body: {
        type: 'Microsoft.CognitiveServices/accounts',
        subscriptionId: SUB,
        resourceGroup: 'rg-x',
        name: 'new-acc',
      },
    });
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ id, endpoint: 'https://127.0.0.1:4430/cs/new-acc/' });
    expect((await call({ method: 'POST', path: `${id}/listKeys?api-version=1`, headers: AUTH })).status).toBe(
      200,
    );
    const forbid = await call({ method: 'POST', path: '/_emulator/resources/forbid', body: { id } });
    expect(forbid.status).toBe(200);
    expect((await call({ method: 'POST', path: `${id}/listKeys?api-version=1`, headers: AUTH })).status).toBe(
      403,
    );
    const restarts = await call({ method: 'GET', path: '/_emulator/restarts' });
    expect(restarts.json()).toEqual({ value: [] });
  });

  it('rejects bad declarations with details and changes nothing', async () => {
    const { arm, call } = setup();
    const before = arm.list();
    const bad = await call({
      method: 'POST',
      path: '/_emulator/resources',
      body: {
        type: 'Microsoft.CognitiveServices/accounts',
        resourceGroup: 'rg',
        name: 'a/b',
        keys: { key1: 'short' },
      },
    });
    expect(bad.status).toBe(400);
    const details = (bad.json() as { error: { details: { path: string }[] } }).error.details.map(
      (d) => d.path,
    );
    expect(details).toEqual(expect.arrayContaining(['name', 'keys.key1']));
    const clash = await call({
      method: 'POST',
      path: '/_emulator/resources',
      body: { type: 'Microsoft.CognitiveServices/accounts', resourceGroup: 'other-rg', name: 'OAI-MAIN' },
    });
    expect(clash.status).toBe(409);
    const unknown = await call({
      method: 'POST',
      path: '/_emulator/resources/forbid',
      body: { id: `${CS}x` },
    });
    expect(unknown.status).toBe(404);
    expect(arm.list()).toEqual(before);
  });

  it('keeps seeded keys and never puts key values in the snapshot', () => {
    const { ctx } = testContext();
    const key1 = 'ab'.repeat(16);
    const arm: ArmModule = createArmModule(ctx, [
      { type: 'Microsoft.CognitiveServices/accounts', resourceGroup: 'rg', name: 'seeded', keys: { key1 } },
    ]);
    const id = arm.list()[0]?.id ?? '';
    expect(arm.cognitiveKeys(id).key1).toBe(key1);
    expect(JSON.stringify(arm.snapshot())).not.toContain(key1);
  });
});
