/**
 * One data-plane call that answers "does this credential work?" the way a client would, mapped to a
 * `ValidationResult`: 2xx ok; 401/403 rejected; anything else (429, 5xx, timeouts, refused connections,
 * unexpected statuses) unavailable — an outage is not proof that a key is bad. The engine retries with
 * backoff; this answers once, within a per-call timeout. Built on `node:https` with the trusted CA (the
 * local emulator's certificate) in one TLS context per options object, no proxy, no redirects; on a
 * connection opened ahead by the provider when there is one (`warmUp`, `warm-connections.ts`).
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { ValidationResult } from '../../rotation/ports.js';
import type { WarmConnections } from './warm-connections.js';

export interface DataPlaneOptions {
  /** Trusted CA certificate(s) in PEM (the local emulator's), in one TLS context per options object. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** A ready agent (overrides `ca` and `connections`). */
  agent?: https.Agent;
  /** Connections opened ahead of validation calls (`warmUp`); without it every call connects itself. */
  connections?: WarmConnections;
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
export async function probe(
  request: ProbeRequest,
  options: DataPlaneOptions = {},
  signal?: AbortSignal,
): Promise<ValidationResult> {
  const { url, label } = request;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, outcome: 'unavailable', reason: `${label}: unsupported URL scheme` };
  }
  const warm = options.agent ? undefined : options.connections?.take(url);
  if (warm) {
    const sent = await send(request, options, signal, warm);
    // The connection was opened ahead and idle until now: if it was closed under the request before any
    // answer (an idle timeout racing the request), the request goes once more on a connection of its own.
    // Validation calls change nothing (a model list, a 10-minute token), so sending again is safe.
    if (sent !== STALE_CONNECTION) return sent;
  }
  const sent = await send(request, options, signal, undefined);
  return sent === STALE_CONNECTION ? unavailableResult(label, 'request failed (ECONNRESET)') : sent;
}

/** Trust for data-plane calls: one TLS context per `DataPlaneOptions`, not one per call. */
export function secureContextFor(options: DataPlaneOptions): tls.SecureContext | undefined {
  if (options.ca === undefined) return undefined;
  let context = SECURE_CONTEXTS.get(options);
  if (!context) {
    context = tls.createSecureContext({ ca: options.ca });
    SECURE_CONTEXTS.set(options, context);
  }
  return context;
}

/**
 * Opens a connection for a validation call about to be made to `endpoint`'s origin (see
 * `warm-connections.ts`). Never throws: an endpoint that does not parse is the probe's to report.
 */
export function warmUp(endpoint: string, options: DataPlaneOptions | undefined): void {
  if (!options?.connections || options.agent) return;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return;
  }
  options.connections.open(url, secureContextFor(options));
}

const SECURE_CONTEXTS = new WeakMap<DataPlaneOptions, tls.SecureContext>();
const STALE_CONNECTION = Symbol('stale connection');
const STALE_CODES = new Set(['ECONNRESET', 'EPIPE']);

function unavailableResult(label: string, why: string): ValidationResult {
  return { ok: false, outcome: 'unavailable', reason: `${label}: ${why}` };
}

function send(
  request: ProbeRequest,
  options: DataPlaneOptions,
  signal: AbortSignal | undefined,
  warm: tls.TLSSocket | undefined,
): Promise<ValidationResult | typeof STALE_CONNECTION> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const { url, label } = request;
  const isHttps = url.protocol === 'https:';
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  const headers: Record<string, string> = { ...request.headers, 'content-length': String(body?.length ?? 0) };

  return new Promise((resolve) => {
    let settled = false;
    let answered = false;
    const finish = (result: ValidationResult | typeof STALE_CONNECTION) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const unavailable = (why: string) => finish(unavailableResult(label, why));

    // No pooled agent unless one is given: a validation call is rare, and a kept-alive socket would outlive it.
    // A connection opened ahead (`warm`) carries this one request, then closes (`Connection: close`).
    const requestOptions: https.RequestOptions & { secureContext?: tls.SecureContext } = {
      method: request.method,
      headers,
    };
    if (options.agent) requestOptions.agent = options.agent;
    else if (warm) requestOptions.createConnection = () => warm;
    else {
      requestOptions.agent = false;
      const secureContext = isHttps ? secureContextFor(options) : undefined;
      if (secureContext) requestOptions.secureContext = secureContext;
    }
    const req = (isHttps ? https : http).request(url, requestOptions, (res) => {
      answered = true;
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
      if (warm && !answered && STALE_CODES.has(error.code ?? '')) return finish(STALE_CONNECTION);
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
