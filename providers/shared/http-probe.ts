/**
 * One data-plane call that answers "does this credential work?" the way a client would, mapped to a
 * `ValidationResult`: 2xx ok; 401/403 rejected; anything else (429, 5xx, timeouts, refused connections,
 * unexpected statuses) unavailable — an outage is not proof that a key is bad. The engine retries with
 * backoff; this answers once, within a per-call timeout. Built on `node:https` with the CA passed per
 * request (the local emulator's certificate), no proxy, no redirects.
 */
import http from 'node:http';
import https from 'node:https';
import type { ValidationResult } from '../../rotation/ports.js';

export interface DataPlaneOptions {
  /** Extra trusted CA certificate(s) in PEM (the local emulator's), added per request. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** A ready agent (overrides `ca`). */
  agent?: https.Agent;
  /** Per-call timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
}

export interface ProbeRequest {
  method: 'GET' | 'POST';
  url: URL;
  /** Includes the credential header; never logged or echoed. */
  headers: Record<string, string>;
  body?: string;
  /** What the call checks, for reasons, e.g. `Azure OpenAI models`. */
  label: string;
  /**
   * Non-2xx statuses that still prove the credential was accepted (ACS verifies the signature before it
   * routes, so a 404 to a signed request means the key authenticated).
   */
  acceptedStatuses?: readonly number[];
}

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

/** Seconds from a `Retry-After` header (seconds or an HTTP date); undefined when absent or unparsable. */
export function parseRetryAfter(raw: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Maps a data-plane status to a validation result. */
export function classifyStatus(
  label: string,
  status: number,
  retryAfterSeconds: number | undefined,
): ValidationResult {
  if (status >= 200 && status < 300) return { ok: true };
  if (status === 401 || status === 403) {
    return { ok: false, outcome: 'rejected', reason: `${label} rejected the credential (HTTP ${status})` };
  }
  const reason =
    status === 429 || status >= 500
      ? `${label} unavailable (HTTP ${status})`
      : `${label} answered HTTP ${status}; cannot tell whether the credential works (check the endpoint)`;
  return {
    ok: false,
    outcome: 'unavailable',
    reason,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
}

/** Sends the request once and classifies the answer; never throws for network problems. */
export function probe(
  request: ProbeRequest,
  options: DataPlaneOptions = {},
  signal?: AbortSignal,
): Promise<ValidationResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const { url, label } = request;
  const isHttps = url.protocol === 'https:';
  if (!isHttps && url.protocol !== 'http:') {
    return Promise.resolve({ ok: false, outcome: 'unavailable', reason: `${label}: unsupported URL scheme` });
  }
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  const headers: Record<string, string> = { ...request.headers, 'content-length': String(body?.length ?? 0) };

  return new Promise<ValidationResult>((resolve) => {
    let settled = false;
    const finish = (result: ValidationResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const unavailable = (why: string) =>
      finish({ ok: false, outcome: 'unavailable', reason: `${label}: ${why}` });

    // No pooled agent unless one is given: a validation call is rare, and a kept-alive socket would outlive it.
    const requestOptions: https.RequestOptions = {
      method: request.method,
      headers,
      agent: options.agent ?? false,
    };
    if (isHttps && !options.agent && options.ca !== undefined) requestOptions.ca = options.ca;
    const req = (isHttps ? https : http).request(url, requestOptions, (res) => {
      // Drain the body: we only need the status, and the body may echo request details.
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (request.acceptedStatuses?.includes(status)) finish({ ok: true });
        else finish(classifyStatus(label, status, parseRetryAfter(res.headers['retry-after'])));
      });
      res.on('error', () => unavailable('response interrupted'));
    });
    const timer = setTimeout(() => {
      unavailable(`no answer within ${timeoutMs} ms`);
      req.destroy();
    }, timeoutMs);
    const onAbort = () => {
      unavailable('cancelled');
      req.destroy();
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // Keep only the error code: messages of TLS/socket errors can include the host, never headers,
      // but there is nothing more an operator needs here.
      unavailable(`request failed (${error.code ?? error.name})`);
    });
    req.end(body);
  });
}

/** The endpoint URL with exactly one trailing slash, so relative paths resolve under it. */
export function withTrailingSlash(endpoint: string): string {
  return endpoint.endsWith('/') ? endpoint : `${endpoint}/`;
}
