/**
 * One HTTPS call for a manual provider's credential check, answered with the status, `Retry-After` and a
 * capped body. Unlike `providers/shared/http-probe.ts` (status only), the manual checks need the body: the
 * provider's own error text (OpenAI-style `error.message`, Razorpay `error.description`) and reCAPTCHA's
 * `error-codes`. Built on `node:https` with the CA passed per request (the local emulator's), no proxy,
 * no redirects, no keep-alive, one per-call timeout; never throws for network problems.
 *
 * Shared by every manual provider (together-ai, groq, deepseek, qwen, razorpay, recaptcha).
 */
import http from 'node:http';
import https from 'node:https';
import { type DataPlaneOptions, parseRetryAfter } from '../shared/http-probe.js';

export type { DataPlaneOptions };

export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;
/** Bodies beyond this are cut: an error text or a models listing never needs more to classify. */
export const MAX_CHECK_BODY_BYTES = 64 * 1024;

export interface HttpCheckRequest {
  method: 'GET' | 'POST';
  url: URL;
  /** Includes the credential; never logged or echoed. */
  headers: Record<string, string>;
  body?: string;
}

export type HttpCheckOutcome =
  | {
      kind: 'answer';
      status: number;
      retryAfterSeconds?: number;
      /** At most `MAX_CHECK_BODY_BYTES` of the body, as UTF-8. */
      body: string;
    }
  /** No answer: timeout, refused/reset connection, TLS failure, cancelled. `why` names no secret. */
  | { kind: 'failed'; why: string };

export interface HttpCheckOptions {
  dataPlane?: DataPlaneOptions | undefined;
  timeoutMs: number;
  /** For `Retry-After` given as an HTTP date. */
  now: Date;
  signal?: AbortSignal | undefined;
}

export function httpCheck(request: HttpCheckRequest, options: HttpCheckOptions): Promise<HttpCheckOutcome> {
  const { url } = request;
  const isHttps = url.protocol === 'https:';
  if (!isHttps && url.protocol !== 'http:') {
    return Promise.resolve({ kind: 'failed', why: `unsupported URL scheme ${url.protocol}` });
  }
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': 'key-vault-rotator',
    ...request.headers,
    'content-length': String(body?.length ?? 0),
  };
  const requestOptions: https.RequestOptions = { method: request.method, headers, agent: false };
  const dataPlane = options.dataPlane;
  if (isHttps && dataPlane?.agent) requestOptions.agent = dataPlane.agent;
  else if (isHttps && dataPlane?.ca !== undefined) requestOptions.ca = dataPlane.ca;

  return new Promise<HttpCheckOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: HttpCheckOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const failed = (why: string) => finish({ kind: 'failed', why });

    const req = (isHttps ? https : http).request(url, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_CHECK_BODY_BYTES) return;
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const retryAfterSeconds = parseRetryAfter(res.headers['retry-after'], options.now.getTime());
        finish({
          kind: 'answer',
          status,
          body: Buffer.concat(chunks).subarray(0, MAX_CHECK_BODY_BYTES).toString('utf8'),
          ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
        });
      });
      res.on('error', () => failed('response interrupted'));
      res.on('aborted', () => failed('response interrupted'));
    });
    const timer = setTimeout(() => {
      failed(`no answer within ${options.timeoutMs} ms`);
      req.destroy();
    }, options.timeoutMs);
    const onAbort = () => {
      failed('cancelled');
      req.destroy();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The code is all an operator needs; socket/TLS messages add hosts but never headers.
      failed(`request failed (${error.code ?? error.name})`);
    });
    req.end(body);
  });
}

/** Parses a JSON body; undefined when it is not JSON (an HTML error page, a proxy's text). */
export function parseJsonBody(body: string): unknown {
  const text = body.trim();
  if (!(text.startsWith('{') || text.startsWith('['))) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON after all (or cut at MAX_CHECK_BODY_BYTES): the caller treats it as "no message".
    return undefined;
  }
}

const REDACTED = '[redacted]';

/** Every form a secret may take in text a provider sends back: as is, URL-encoded, base64 (basic auth). */
function secretForms(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), Buffer.from(secret, 'utf8').toString('base64')])];
}

/** Replaces every form of every secret (4+ characters) in `text`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of secretForms(secret)) out = out.split(form).join(REDACTED);
  }
  return out;
}

const MAX_MESSAGE = 200;

/** Collapses whitespace and control characters, redacts the secrets, cuts to 200 characters. */
export function cleanMessage(text: string, secrets: readonly string[]): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  const redacted = redactSecrets(flat, secrets);
  return redacted.length > MAX_MESSAGE ? `${redacted.slice(0, MAX_MESSAGE - 1)}…` : redacted;
}

function stringAt(value: unknown, ...path: string[]): string | undefined {
  let node: unknown = value;
  for (const key of path) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'string' && node.trim() !== '' ? node : undefined;
}

/**
 * The provider's own error text from a JSON body, made safe to show: OpenAI-style `error.message`,
 * Razorpay `error.description`, or a top-level `message`/`error`/`detail`. Undefined when there is none.
 */
export function providerMessage(body: string, secrets: readonly string[]): string | undefined {
  const json = parseJsonBody(body);
  if (json === undefined) return undefined;
  const text =
    stringAt(json, 'error', 'message') ??
    stringAt(json, 'error', 'description') ??
    stringAt(json, 'message') ??
    stringAt(json, 'error') ??
    stringAt(json, 'detail');
  if (text === undefined) return undefined;
  const cleaned = cleanMessage(text, secrets);
  return cleaned === '' ? undefined : cleaned;
}

/** The base URL without trailing slashes, so `${base}/models` has exactly one. */
export function trimBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}
