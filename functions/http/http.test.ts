import type { HttpRequest, LogLevel } from '@azure/functions';
import azureFunctions from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ERROR_CODES, RotationError } from '../../rotation/errors.js';
import {
  ERROR_STATUS,
  errorResponse,
  formatIssuePath,
  isJsonContentType,
  readJsonBody,
  rotationErrorResponse,
  withErrorHandling,
} from './index.js';

const { HttpRequest: HttpRequestClass, InvocationContext } = azureFunctions;

function request(
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): HttpRequest {
  return new HttpRequestClass({
    method: 'POST',
    url: 'http://127.0.0.1/api/x',
    headers,
    body: { string: body },
  });
}

function contextWithLog() {
  const lines: { level: LogLevel; args: unknown[] }[] = [];
  const context = new InvocationContext({
    functionName: 'test',
    logHandler: (level, ...args) => {
      lines.push({ level, args });
    },
  });
  return { context, lines };
}

async function caught(promise: Promise<unknown>): Promise<RotationError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RotationError) return error;
    throw error;
  }
  throw new Error('expected a RotationError');
}

const schema = z.object({
  reason: z.string().min(1),
  items: z.array(z.object({ name: z.string() })).optional(),
});

describe('errorResponse and the status map', () => {
  it("produces DESIGN.md's error body, details only when present", () => {
    expect(errorResponse(404, 'NotFound', 'nope')).toEqual({
      status: 404,
      jsonBody: { error: { code: 'NotFound', message: 'nope' } },
    });
    expect(errorResponse(400, 'BadRequest', 'bad', [{ path: '$.a', message: 'required' }]).jsonBody).toEqual({
      error: { code: 'BadRequest', message: 'bad', details: [{ path: '$.a', message: 'required' }] },
    });
  });

  it('maps RotationError codes to the statuses DESIGN.md names', () => {
    expect(ERROR_STATUS[ERROR_CODES.badRequest]).toBe(400);
    expect(ERROR_STATUS[ERROR_CODES.unauthorized]).toBe(401);
    expect(ERROR_STATUS[ERROR_CODES.unmanagedSecret]).toBe(404);
    expect(ERROR_STATUS[ERROR_CODES.methodNotAllowed]).toBe(405);
    expect(ERROR_STATUS[ERROR_CODES.runInProgress]).toBe(409);
    expect(ERROR_STATUS[ERROR_CODES.versionMismatch]).toBe(412);
    expect(ERROR_STATUS[ERROR_CODES.payloadTooLarge]).toBe(413);
    expect(ERROR_STATUS[ERROR_CODES.credentialRejected]).toBe(422);
    expect(ERROR_STATUS[ERROR_CODES.providerUnavailable]).toBe(503);
    expect(ERROR_STATUS[ERROR_CODES.azureUnavailable]).toBe(503);
  });

  it('adds Retry-After to 503s (default 30 s) and keeps details', () => {
    const unavailable = rotationErrorResponse(new RotationError('AzureUnavailable', 'Key Vault throttled'));
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers).toEqual({ 'Retry-After': '30' });
    const conflict = rotationErrorResponse(
      new RotationError('RunInProgress', 'run r1 is in progress', {
        details: [{ path: 'runId', message: 'r1' }],
      }),
    );
    expect(conflict).toEqual({
      status: 409,
      jsonBody: {
        error: {
          code: 'RunInProgress',
          message: 'run r1 is in progress',
          details: [{ path: 'runId', message: 'r1' }],
        },
      },
    });
  });
});

describe('readJsonBody', () => {
  it('returns the typed value', async () => {
    await expect(readJsonBody(request('{"reason":"leak"}'), schema, { maxBytes: 100 })).resolves.toEqual({
      reason: 'leak',
    });
  });

  it('accepts application/json with a charset and +json types', () => {
    expect(isJsonContentType('application/json; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/merge-patch+json')).toBe(true);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType(null)).toBe(false);
  });

  it('rejects a non-JSON content type with BadRequest', async () => {
    const error = await caught(
      readJsonBody(request('{}', { 'content-type': 'text/plain' }), schema, { maxBytes: 100 }),
    );
    expect(error.code).toBe('BadRequest');
  });

  it('lists zod issues as details with JSON paths, never echoing values', async () => {
    const secretish = 'sk-live-should-not-echo';
    const error = await caught(
      readJsonBody(request(JSON.stringify({ reason: '', items: [{ name: 5 }], extra: secretish })), schema, {
        maxBytes: 1000,
      }),
    );
    expect(error.code).toBe('BadRequest');
    expect(error.details.map((d) => d.path)).toEqual(['$.reason', '$.items[0].name']);
    expect(JSON.stringify(rotationErrorResponse(error))).not.toContain(secretish);
  });

  it('rejects malformed and empty JSON without quoting it', async () => {
    const malformed = await caught(readJsonBody(request('{"reason": sk-123'), schema, { maxBytes: 100 }));
    expect(malformed.code).toBe('BadRequest');
    expect(JSON.stringify(rotationErrorResponse(malformed))).not.toContain('sk-123');
    expect((await caught(readJsonBody(request('  '), schema, { maxBytes: 100 }))).code).toBe('BadRequest');
  });

  it('answers PayloadTooLarge from Content-Length before reading', async () => {
    const req = request('{"reason":"x"}', { 'content-type': 'application/json', 'content-length': '5000' });
    const error = await caught(readJsonBody(req, schema, { maxBytes: 100 }));
    expect(error.code).toBe('PayloadTooLarge');
    expect(req.bodyUsed).toBe(false);
  });

  it('answers PayloadTooLarge by counting bytes when Content-Length is absent or lies', async () => {
    const big = JSON.stringify({ reason: 'é'.repeat(60) });
    // 60 two-byte characters: under 100 characters, over 100 bytes.
    expect(big.length).toBeLessThan(100);
    const lying = request(big, { 'content-type': 'application/json', 'content-length': '10' });
    expect((await caught(readJsonBody(lying, schema, { maxBytes: 100 }))).code).toBe('PayloadTooLarge');
    const streamed = new HttpRequestClass({
      method: 'POST',
      url: 'http://127.0.0.1/api/x',
      headers: { 'content-type': 'application/json' },
      body: { bytes: Buffer.from(big) },
    });
    expect((await caught(readJsonBody(streamed, schema, { maxBytes: 100 }))).code).toBe('PayloadTooLarge');
  });

  it('formats unusual paths', () => {
    expect(formatIssuePath([])).toBe('$');
    expect(formatIssuePath(['a-b', 0, 'c'])).toBe('$["a-b"][0].c');
  });
});

describe('withErrorHandling', () => {
  it('passes successful responses through', async () => {
    const { context } = contextWithLog();
    const handler = withErrorHandling(() => ({ status: 201, jsonBody: { ok: true } }));
    await expect(handler(request('{}'), context)).resolves.toEqual({ status: 201, jsonBody: { ok: true } });
  });

  it('maps a RotationError to its status and logs a warning for 4xx', async () => {
    const { context, lines } = contextWithLog();
    const handler = withErrorHandling(async (req) => {
      await readJsonBody(req, schema, { maxBytes: 10 });
      return {};
    });
    const response = await handler(request('{"reason":"far too long"}'), context);
    expect(response).toMatchObject({ status: 413, jsonBody: { error: { code: 'PayloadTooLarge' } } });
    expect(lines.map((l) => l.level)).toEqual(['warning']);
  });

  it('turns anything else into a generic 500 and logs describeError only', async () => {
    const { context, lines } = contextWithLog();
    const failure = Object.assign(new Error('request to https://api.groq.com failed\n    at stack line'), {
      config: { headers: { Authorization: 'Bearer sk-secret' } },
      response: { status: 502 },
    });
    const handler = withErrorHandling(() => {
      throw failure;
    });
    const response = await handler(request('{}'), context);
    expect(response).toEqual({
      status: 500,
      jsonBody: { error: { code: 'InternalError', message: expect.any(String) } },
    });
    expect(JSON.stringify(response)).not.toMatch(/groq|stack|sk-secret/);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe('error');
    expect(JSON.stringify(lines[0]?.args)).not.toMatch(/sk-secret|stack line/);
    expect(lines[0]?.args[1]).toEqual({
      code: 'Error',
      message: 'request to https://api.groq.com failed',
      status: 502,
    });
  });
});
