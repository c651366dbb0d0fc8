/**
 * The emulator's ARM plane and provider data planes through the real management SDKs over HTTPS:
 * CognitiveServicesManagementClient, CommunicationServiceManagementClient and WebSiteManagementClient
 * trust the emulator CA per client, use a static local credential and do not retry.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSiteManagementClient } from '@azure/arm-appservice';
import { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';
import { CommunicationServiceManagementClient } from '@azure/arm-communication';
import { RestError } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import { emulatorRequest, localCredential } from '../../local/emulator/testing.js';

const SUB = '0a1b2c3d-0000-4000-8000-000000000001';
const RG_AI = 'rg-ai';
const RG_COMM = 'rg-comm';
const RG_WEB = 'rg-web';

let emulator: RunningEmulator;
let stateDir: string;
let cognitive: CognitiveServicesManagementClient;
let communication: CommunicationServiceManagementClient;
let web: WebSiteManagementClient;

/** Options every ARM client gets: emulator endpoint, CA trusted for this client only, no retries. */
function clientOptions() {
  return {
    endpoint: emulator.armEndpoint,
    tlsOptions: { ca: emulator.caCert },
    retryOptions: { maxRetries: 0 },
  };
}

async function control(method: string, route: string, body?: unknown) {
  return emulatorRequest(`${emulator.origin}${route}`, emulator.caCert, { method, body });
}

async function rejection(promise: Promise<unknown>): Promise<RestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RestError)) throw new Error(`expected a RestError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'arm-sdk-'));
  emulator = await startEmulator({
    vaults: [],
    stateDir,
    resources: [
      {
        type: 'Microsoft.CognitiveServices/accounts',
        subscriptionId: SUB,
        resourceGroup: RG_AI,
        name: 'oai-sdk',
      },
      {
        type: 'Microsoft.Communication/communicationServices',
        subscriptionId: SUB,
        resourceGroup: RG_COMM,
        name: 'acs-sdk',
      },
      {
        type: 'Microsoft.Web/sites',
        subscriptionId: SUB,
        resourceGroup: RG_WEB,
        name: 'app-sdk',
        slots: ['staging'],
      },
    ],
  });
  cognitive = new CognitiveServicesManagementClient(localCredential, SUB, clientOptions());
  communication = new CommunicationServiceManagementClient(localCredential, SUB, clientOptions());
  web = new WebSiteManagementClient(localCredential, SUB, clientOptions());
});

afterAll(async () => {
  await emulator?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('CognitiveServicesManagementClient', () => {
  it('gets the account, lists and regenerates keys; the data plane follows the current keys', async () => {
    const account = await cognitive.accounts.get(RG_AI, 'oai-sdk');
    expect(account.kind).toBe('OpenAI');
    const endpoint = account.properties?.endpoint ?? '';
    expect(endpoint).toBe(`${emulator.origin}/cs/oai-sdk/`);

    const before = await cognitive.accounts.listKeys(RG_AI, 'oai-sdk');
    expect(before.key1).toMatch(/^[0-9a-f]{32}$/);
    const after = await cognitive.accounts.regenerateKey(RG_AI, 'oai-sdk', 'Key1');
    expect(after.key1).not.toBe(before.key1);
    expect(after.key2).toBe(before.key2);

    const models = (key: string) =>
      emulatorRequest(`${endpoint}openai/models?api-version=2024-10-21`, emulator.caCert, {
        headers: { 'api-key': key },
      });
    expect((await models(before.key1 ?? '')).status).toBe(401);
    expect((await models(after.key1 ?? '')).status).toBe(200);
    expect((await models(after.key2 ?? '')).status).toBe(200);
  });

  it('surfaces 404 ResourceNotFound for an unknown account', async () => {
    const error = await rejection(cognitive.accounts.listKeys(RG_AI, 'missing-account'));
    expect(error.statusCode).toBe(404);
    expect(error.code).toBe('ResourceNotFound');
  });

  it('surfaces 403 AuthorizationFailed for a forbidden account and changes nothing', async () => {
    const id = `/subscriptions/${SUB}/resourceGroups/${RG_AI}/providers/Microsoft.CognitiveServices/accounts/oai-sdk`;
    const keys = await cognitive.accounts.listKeys(RG_AI, 'oai-sdk');
    expect(
      (await control('POST', '/_emulator/resources/forbid', { id, forbidden: ['regenerateKey'] })).status,
    ).toBe(200);
    const error = await rejection(cognitive.accounts.regenerateKey(RG_AI, 'oai-sdk', 'Key2'));
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe('AuthorizationFailed');
    expect(error.message).toContain('Microsoft.CognitiveServices/accounts/regenerateKey/action');
    expect(await cognitive.accounts.listKeys(RG_AI, 'oai-sdk')).toEqual(keys);
    await control('POST', '/_emulator/resources/forbid', { id, forbidden: false });
  });
});

describe('CommunicationServiceManagementClient', () => {
  /** An HMAC-signed GET as the ACS SDKs sign it (signature over the real Host header). */
  function signedGet(key: string, url: URL) {
    const date = emulator.clock.now().toUTCString();
    const hash = createHash('sha256').update('').digest('base64');
    const toSign = `GET\n${url.pathname}${url.search}\n${date};${url.host};${hash}`;
    const signature = createHmac('sha256', Buffer.from(key, 'base64')).update(toSign).digest('base64');
    return emulatorRequest(url.href, emulator.caCert, {
      headers: {
        'x-ms-date': date,
        'x-ms-content-sha256': hash,
        authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
      },
    });
  }

  it('gets the service, lists keys and regenerates only the secondary half', async () => {
    const service = await communication.communicationServices.get(RG_COMM, 'acs-sdk');
    expect(service.hostName).toBe(`${emulator.origin.replace('https://', '')}/acs/acs-sdk`);
    expect(service.dataLocation).toBe('United States');

    const keys = await communication.communicationServices.listKeys(RG_COMM, 'acs-sdk');
    expect(keys.primaryConnectionString).toBe(
      `endpoint=https://${service.hostName}/;accesskey=${keys.primaryKey}`,
    );
    const regenerated = await communication.communicationServices.regenerateKey(RG_COMM, 'acs-sdk', {
      keyType: 'Secondary',
    });
    expect(Object.keys(regenerated).sort()).toEqual(['secondaryConnectionString', 'secondaryKey']);
    expect(regenerated.secondaryKey).not.toBe(keys.secondaryKey);

    const url = new URL(`https://${service.hostName}/emails/operations/op-1?api-version=2023-03-31`);
    expect((await signedGet(keys.secondaryKey ?? '', url)).status).toBe(401);
    expect((await signedGet(regenerated.secondaryKey ?? '', url)).status).toBe(200);
    expect((await signedGet(keys.primaryKey ?? '', url)).status).toBe(200);
  });
});

describe('WebSiteManagementClient', () => {
  it('gets the site and restarts it and its slot; the emulator logs both', async () => {
    const site = await web.webApps.get(RG_WEB, 'app-sdk');
    expect(site.state).toBe('Running');
    await expect(web.webApps.restart(RG_WEB, 'app-sdk', { softRestart: true })).resolves.toBeUndefined();
    await expect(
      web.webApps.restartSlot(RG_WEB, 'app-sdk', 'staging', { synchronous: true }),
    ).resolves.toBeUndefined();
    const log = (await control('GET', '/_emulator/restarts')).json() as {
      value: { site: string; slot: string; softRestart?: boolean; synchronous?: boolean }[];
    };
    expect(log.value.map((r) => [r.site, r.slot, r.softRestart, r.synchronous])).toEqual([
      ['app-sdk', 'production', true, undefined],
      ['app-sdk', 'staging', undefined, true],
    ]);
  });

  it('surfaces 404 for an unknown site', async () => {
    const error = await rejection(web.webApps.restart(RG_WEB, 'no-such-app'));
    expect(error.statusCode).toBe(404);
  });
});

describe('manual provider credentials over the control API', () => {
  it('mints a Groq key that the data plane accepts until it is revoked', async () => {
    const minted = (await control('POST', '/_emulator/providers/groq/credentials')).json() as {
      value: string;
      last4: string;
    };
    const models = () =>
      emulatorRequest(`${emulator.origin}/groq/openai/v1/models`, emulator.caCert, {
        headers: { authorization: `Bearer ${minted.value}` },
      });
    expect((await models()).status).toBe(200);
    expect((await control('DELETE', `/_emulator/providers/groq/credentials/${minted.last4}`)).status).toBe(
      200,
    );
    expect((await models()).status).toBe(401);
  });
});
