import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaked } from '../shared/testing.js';
import { httpCheck, MAX_CHECK_BODY_BYTES, providerMessage, redactSecrets } from './http.js';
import { checkKeyFormat, keyHint } from './manual.js';
import { checkBearerModels } from './models.js';

/** A loopback server whose answer each test sets. */
let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.end();
let server: http.Server;
let base = '';

beforeAll(async () => {
  server = http.createServer((req, res) => answer(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const key = () => `sk-${randomBytes(16).toString('hex')}`;
const check = (k: string, extra: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
  checkBearerModels({
    label: 'Test',
    baseUrl: `${base}/v1/`,
    key: k,
    timeoutMs: extra.timeoutMs ?? 2000,
    now: new Date(),
    signal: extra.signal,
  });

describe('checkBearerModels over a loopback server', () => {
  it('sends the key as bearer to {baseUrl}/models and accepts a list or a bare array', async () => {
    const k = key();
    const seen: string[] = [];
    answer = (req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization === `Bearer ${k}`}`);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(seen.length === 1 ? '{"data":[]}' : '[]');
    };
    expect(await check(k)).toEqual({ ok: true });
    expect(await check(k)).toEqual({ ok: true });
    expect(seen).toEqual(['GET /v1/models true', 'GET /v1/models true']);
  });

  it('redacts a key the provider echoes in its 401 message', async () => {
    const k = key();
    answer = (_req, res) =>
      res
        .writeHead(401)
        .end(
          JSON.stringify({ error: { message: `Key ${k} (${Buffer.from(k).toString('base64')}) is bad` } }),
        );
    const result = await check(k);
    expect(result).toMatchObject({ ok: false, outcome: 'rejected' });
    expect(leaked(result, [k, Buffer.from(k).toString('base64')])).toEqual([]);
    expect(JSON.stringify(result)).toContain('[redacted]');
  });

  it('reads a 200 that is not a models listing, a redirect and a 404 as unavailable', async () => {
    for (const [status, body, headers] of [
      [200, '<html>sign in to the proxy</html>', {}],
      [302, '', { location: 'https://elsewhere.example.com/' }],
      [404, '{"error":{"message":"not found"}}', {}],
    ] as const) {
      answer = (_req, res) => res.writeHead(status, headers).end(body);
      expect(await check(key())).toMatchObject({ ok: false, outcome: 'unavailable' });
    }
  });

  it('caps the body it reads, and stops when cancelled', async () => {
    answer = (_req, res) => res.writeHead(200).end('x'.repeat(MAX_CHECK_BODY_BYTES * 3));
    const outcome = await httpCheck(
      { method: 'GET', url: new URL(`${base}/big`), headers: {} },
      { timeoutMs: 2000, now: new Date() },
    );
    expect(outcome.kind === 'answer' && outcome.body.length).toBe(MAX_CHECK_BODY_BYTES);

    answer = () => undefined; // never answers
    const controller = new AbortController();
    const pending = check(key(), { signal: controller.signal, timeoutMs: 5000 });
    controller.abort();
    expect(await pending).toMatchObject({
      outcome: 'unavailable',
      reason: expect.stringContaining('cancelled'),
    });
  });
});

describe('message and format helpers', () => {
  it('takes the provider message from the usual places, flattened and cut', () => {
    expect(providerMessage('{"error":{"message":"bad\\nkey"}}', [])).toBe('bad key');
    expect(providerMessage('{"error":{"description":"The api key provided is invalid"}}', [])).toBe(
      'The api key provided is invalid',
    );
    expect(providerMessage('{"message":"m"}', [])).toBe('m');
    expect(providerMessage('{"error":"e"}', [])).toBe('e');
    expect(providerMessage('<html>', [])).toBeUndefined();
    expect(providerMessage(JSON.stringify({ message: 'y'.repeat(500) }), [])?.length).toBe(200);
  });

  it('redacts every form of a secret and ignores tiny ones', () => {
    const secret = 'a/b+c=d secret';
    const text = `${secret} ${encodeURIComponent(secret)} ${Buffer.from(secret).toString('base64')} abc`;
    expect(redactSecrets(text, [secret, 'abc'.slice(0, 3)])).toBe('[redacted] [redacted] [redacted] abc');
  });

  it('checks the shape without echoing the value, and hints with the last 4', () => {
    const format = { pattern: /^gsk_\w+$/, describe: "'gsk_'…", label: 'Groq API key' };
    expect(checkKeyFormat('gsk_abc', format)).toBeUndefined();
    const bad = checkKeyFormat('sk-verysecretvalue', format);
    expect(bad).toMatchObject({ outcome: 'rejected' });
    expect(JSON.stringify(bad)).not.toContain('verysecretvalue');
    expect(keyHint('sk-0123456789abcdef')).toBe('cdef');
    expect(keyHint('short')).toBe('****');
  });
});
