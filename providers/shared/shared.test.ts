import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isRotationError } from '../../rotation/errors.js';
import {
  acsConnectionString,
  acsStringToSign,
  parseAcsConnectionString,
  signAcsRequest,
} from './acs-hmac.js';
import { toArmRotationError } from './arm-errors.js';
import { parseArmResourceId } from './arm-id.js';
import { classifyStatus, parseRetryAfter } from './http-probe.js';
import { restError } from './testing.js';

const TYPE = 'Microsoft.CognitiveServices/accounts';

describe('parseArmResourceId', () => {
  it('parses case-insensitively and spells the id canonically', () => {
    const parsed = parseArmResourceId(
      '  SUBSCRIPTIONS/abc-123/RESOURCEGROUPS/My.Rg(1)/PROVIDERS/microsoft.cognitiveservices/ACCOUNTS/oai-1/ ',
      TYPE,
    );
    expect(parsed).toEqual({
      id: '/subscriptions/abc-123/resourceGroups/My.Rg(1)/providers/Microsoft.CognitiveServices/accounts/oai-1',
      subscriptionId: 'abc-123',
      resourceGroup: 'My.Rg(1)',
      type: TYPE,
      name: 'oai-1',
    });
  });

  it.each([
    ['', 'is empty'],
    ['/subscriptions/s/resourceGroups/rg', 'must look like /subscriptions/{subscriptionId}'],
    [
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a/projects/p',
      'must look like',
    ],
    ['/subs/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a', 'must look like'],
    [
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/a',
      'names a Microsoft.Web/sites resource',
    ],
    [
      '/subscriptions/s/resourceGroups/r g/providers/Microsoft.CognitiveServices/accounts/a',
      "invalid resource group 'r g'",
    ],
  ])('rejects %j with a clear ConfigInvalid error', (id, message) => {
    let caught: unknown;
    try {
      parseArmResourceId(id, TYPE);
    } catch (error) {
      caught = error;
    }
    expect(isRotationError(caught, 'ConfigInvalid')).toBe(true);
    expect((caught as Error).message).toContain(message);
  });
});

describe('toArmRotationError', () => {
  const ctx = { resourceId: '/subscriptions/s/x', operation: 'listKeys', roleHint: 'Grant X.' };

  it('keeps only status, code and message of the cause', () => {
    const mapped = toArmRotationError(restError(500, {}, 'super-secret'), ctx);
    expect(mapped.code).toBe('AzureUnavailable');
    expect(JSON.stringify({ ...mapped, cause: String(mapped.cause) })).not.toContain('super-secret');
  });

  it('treats refused connections as transient and a coding error as internal', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(toArmRotationError(refused, ctx)).toMatchObject({ code: 'AzureUnavailable', transient: true });
    expect(toArmRotationError(new TypeError('x is undefined'), ctx).code).toBe('InternalError');
  });

  it('reads retry-after-ms before Retry-After', () => {
    const error = restError(429, { 'retry-after-ms': '2500', 'retry-after': '9' });
    expect(toArmRotationError(error, ctx).retryAfterSeconds).toBe(3);
  });
});

describe('data-plane helpers', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('treats only 401/403 as proof that a credential is bad', () => {
    expect(classifyStatus('x', 204, undefined)).toEqual({ ok: true });
    expect(classifyStatus('x', 403, undefined)).toMatchObject({ outcome: 'rejected' });
    expect(classifyStatus('x', 400, undefined)).toMatchObject({ outcome: 'unavailable' });
    expect(classifyStatus('x', 502, 4)).toMatchObject({ outcome: 'unavailable', retryAfterSeconds: 4 });
  });
});

describe('ACS HMAC signing', () => {
  it('matches the SDK formula for a request with a body', () => {
    const key = randomBytes(64).toString('base64');
    const url = new URL('https://acs.example.communication.azure.com/emails:send?api-version=2023-03-31');
    const date = new Date('2026-02-03T04:05:06Z');
    const body = '{"a":1}';
    const headers = signAcsRequest({ method: 'post', url, accessKey: key, body, date });

    const hash = createHash('sha256').update(body).digest('base64');
    const toSign = `POST\n/emails:send?api-version=2023-03-31\nTue, 03 Feb 2026 04:05:06 GMT;${url.host};${hash}`;
    expect(acsStringToSign('post', url, date.toUTCString(), hash)).toBe(toSign);
    const signature = createHmac('sha256', Buffer.from(key, 'base64')).update(toSign).digest('base64');
    expect(headers).toEqual({
      host: url.host,
      'x-ms-date': 'Tue, 03 Feb 2026 04:05:06 GMT',
      'x-ms-content-sha256': hash,
      authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
    });
  });

  it('round-trips connection strings, keeping base64 padding in the key', () => {
    const key = randomBytes(64).toString('base64');
    const cs = acsConnectionString('https://acs.example/', key);
    expect(parseAcsConnectionString(cs)).toEqual({ endpoint: 'https://acs.example/', accessKey: key });
    expect(parseAcsConnectionString(`AccessKey=${key};Endpoint=https://acs.example/`)?.accessKey).toBe(key);
    expect(parseAcsConnectionString(key)).toBeUndefined();
  });
});
