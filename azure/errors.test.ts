import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import { AxiosError, AxiosHeaders } from 'axios';
import { describe, expect, it } from 'vitest';
import { describeError, RotationError } from '../rotation/errors.js';
import { retryAfterSecondsOf, summarizeAzureError, wrapAzureError } from './errors.js';

const secret = () => `sk-${randomBytes(24).toString('hex')}`;

/** A RestError as the SDK throws it: the request carries the token and the body the value. */
function restError(
  status: number,
  code: string,
  value: string,
  headers: Record<string, string> = {},
): RestError {
  const request = createPipelineRequest({
    url: `https://kv.vault.azure.net/secrets/x?api-version=2025-07-01&sig=${value}`,
    method: 'PUT',
    headers: createHttpHeaders({ authorization: `Bearer ${value}`, 'api-key': value }),
    body: JSON.stringify({ value }),
  });
  return new RestError(`Service said no\nrequest body: {"value":"${value}"}`, {
    code,
    statusCode: status,
    request,
    response: {
      status,
      request,
      headers: createHttpHeaders(headers),
      bodyAsText: JSON.stringify({ error: { code, message: 'no' }, echo: value }),
    },
  });
}

function expectNoLeak(error: unknown, value: string): void {
  for (const text of [
    JSON.stringify(error),
    inspect(error, { depth: 20, showHidden: true }),
    String(error),
  ]) {
    expect(text).not.toContain(value);
  }
}

describe('wrapAzureError', () => {
  it('maps statuses to stable codes', () => {
    const v = secret();
    const cases: [number, string][] = [
      [401, 'PermissionDenied'],
      [403, 'PermissionDenied'],
      [404, 'ResourceNotFound'],
      [408, 'AzureUnavailable'],
      [429, 'AzureUnavailable'],
      [500, 'AzureUnavailable'],
      [503, 'AzureUnavailable'],
      [400, 'InternalError'],
      [409, 'InternalError'],
    ];
    for (const [status, code] of cases) {
      const wrapped = wrapAzureError(restError(status, 'SomeCode', v), { action: 'write secret x' });
      expect(wrapped.code, `status ${status}`).toBe(code);
      expect(wrapped.transient).toBe(code === 'AzureUnavailable');
    }
    expect(
      wrapAzureError(restError(404, 'SecretNotFound', v), { action: 'read', notFound: 'SecretNotFound' })
        .code,
    ).toBe('SecretNotFound');
  });

  it('keeps status, code and the first line of the message only — no request, headers or body', () => {
    const v = secret();
    const original = restError(503, 'ServiceUnavailable', v, { 'retry-after': '12' });
    // The SDK error itself does carry the value (so the leak check below can fail).
    expect(inspect(original, { depth: 20 })).toContain(v);
    const wrapped = wrapAzureError(original, {
      action: "write secret 'x'",
    });
    expect(wrapped.message).toBe("write secret 'x' failed (503 ServiceUnavailable: Service said no)");
    expect(wrapped.cause).toEqual({ status: 503, code: 'ServiceUnavailable', message: 'Service said no' });
    expect(wrapped.retryAfterSeconds).toBe(12);
    expectNoLeak(wrapped, v);
    expect(describeError(wrapped)).toEqual({ code: 'AzureUnavailable', message: wrapped.message });
  });

  it('drops axios request config and headers', () => {
    const v = secret();
    const config = {
      headers: new AxiosHeaders({ Authorization: `Bearer ${v}` }),
      data: JSON.stringify({ key: v }),
    };
    const axiosError = new AxiosError(
      'Request failed with status code 429',
      'ERR_BAD_REQUEST',
      config,
      undefined,
      {
        status: 429,
        statusText: 'Too Many Requests',
        headers: { 'retry-after': '3' },
        config,
        data: { echo: v },
      },
    );
    const wrapped = wrapAzureError(axiosError, { action: 'call provider' });
    expect(wrapped.code).toBe('AzureUnavailable');
    expect(wrapped.retryAfterSeconds).toBe(3);
    expect(wrapped.cause).toEqual({
      status: 429,
      code: 'ERR_BAD_REQUEST',
      message: 'Request failed with status code 429',
    });
    expectNoLeak(wrapped, v);
  });

  it('treats socket errors and timeouts as transient', () => {
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'REQUEST_SEND_ERROR']) {
      const error = Object.assign(new Error(`socket ${code}`), { code });
      const wrapped = wrapAzureError(error, { action: 'read' });
      expect(wrapped.code, code).toBe('AzureUnavailable');
      expect(wrapped.transient).toBe(true);
    }
    const abort = Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });
    expect(wrapAzureError(abort, { action: 'read' }).code).toBe('AzureUnavailable');
    expect(wrapAzureError(new Error('boom'), { action: 'read' }).code).toBe('InternalError');
  });

  it('passes a RotationError through unchanged', () => {
    const original = new RotationError('LeaseLost', 'gone');
    expect(wrapAzureError(original, { action: 'x' })).toBe(original);
  });
});

describe('retryAfterSecondsOf and summarizeAzureError', () => {
  it('reads Retry-After as seconds, an HTTP date, or the -ms variants', () => {
    const at = (headers: Record<string, string>) => ({ response: { headers: createHttpHeaders(headers) } });
    expect(retryAfterSecondsOf(at({ 'retry-after': '30' }))).toBe(30);
    expect(retryAfterSecondsOf(at({ 'x-ms-retry-after-ms': '1500' }))).toBe(2);
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    expect(retryAfterSecondsOf(at({ 'retry-after': inTwoMinutes }))).toBeGreaterThanOrEqual(118);
    expect(retryAfterSecondsOf(at({}))).toBeUndefined();
    expect(retryAfterSecondsOf({ response: { headers: { 'Retry-After': '4' } } })).toBe(4);
  });

  it('summarises anything thrown', () => {
    expect(summarizeAzureError('plain\nsecond line')).toEqual({ code: 'Error', message: 'plain' });
    expect(summarizeAzureError({ statusCode: 418, message: 'x'.repeat(1000) }).message).toHaveLength(300);
    expect(
      summarizeAzureError({ status: 403, details: { error: { innererror: { code: 'SecretDisabled' } } } }),
    ).toEqual({
      status: 403,
      code: 'SecretDisabled',
      message: 'unknown error',
    });
  });
});
