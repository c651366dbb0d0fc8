/**
 * Turns Azure SDK / axios / socket errors into `RotationError`s that are safe to log, journal and return.
 *
 * SDK errors (`RestError`) carry the whole request and response: headers with bearer tokens or storage
 * signatures, and bodies with secret values (a failed `setSecret` still holds the value it sent). Only the
 * HTTP status, the service's error code and the first line of its message survive here; the `cause` of the
 * returned error is a plain `{ status, code, message }` object, never the original error.
 */
import { type ErrorCode, RotationError } from '../rotation/errors.js';

/** What survives of a foreign error. */
export interface AzureErrorSummary {
  status?: number;
  code: string;
  message: string;
}

/** Socket-level failures: the service may answer on a later attempt. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'REQUEST_SEND_ERROR',
]);

const MAX_MESSAGE = 300;

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  statusCode?: unknown;
  status?: unknown;
  response?: { status?: unknown; headers?: unknown };
  details?: unknown;
}

function asObject(error: unknown): ErrorLike | undefined {
  return error !== null && typeof error === 'object' ? (error as ErrorLike) : undefined;
}

function statusOf(e: ErrorLike): number | undefined {
  for (const candidate of [e.statusCode, e.status, e.response?.status]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate)) return candidate;
  }
  return undefined;
}

/** Reads one header from a core-rest-pipeline `HttpHeaders`, a fetch `Headers` or a plain object. */
function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: unknown } & Record<string, unknown>;
  if (typeof h.get === 'function') {
    const value = (h.get as (n: string) => unknown).call(headers, name);
    return typeof value === 'string' ? value : undefined;
  }
  for (const [key, value] of Object.entries(h)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

/** `Retry-After` as whole seconds (delta-seconds or HTTP date), or the `*-retry-after-ms` variants. */
export function retryAfterSecondsOf(error: unknown): number | undefined {
  const headers = asObject(error)?.response?.headers;
  const ms = headerOf(headers, 'retry-after-ms') ?? headerOf(headers, 'x-ms-retry-after-ms');
  if (ms !== undefined && /^\d+$/.test(ms.trim())) return Math.ceil(Number(ms) / 1000);
  const value = headerOf(headers, 'retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - Date.now()) / 1000)) : undefined;
}

/** Key Vault puts the precise reason (`SecretDisabled`) in `error.innererror.code` of the body. */
function innerCodeOf(e: ErrorLike): string | undefined {
  const details = asObject(e.details) as { error?: { innererror?: { code?: unknown } } } | undefined;
  const inner = details?.error?.innererror?.code;
  return typeof inner === 'string' ? inner : undefined;
}

/** Reduces any thrown value to status, code and message (first line, bounded). */
export function summarizeAzureError(error: unknown): AzureErrorSummary {
  if (error instanceof RotationError) return { code: error.code, message: error.message };
  const e = asObject(error);
  if (!e) return { code: 'Error', message: String(error).split('\n')[0]!.slice(0, MAX_MESSAGE) };
  const status = statusOf(e);
  const inner = innerCodeOf(e);
  const code =
    inner ?? (typeof e.code === 'string' && e.code ? e.code : typeof e.name === 'string' ? e.name : 'Error');
  const raw = typeof e.message === 'string' && e.message ? e.message : 'unknown error';
  const message = raw.split('\n')[0]!.trim().slice(0, MAX_MESSAGE);
  return status === undefined ? { code, message } : { status, code, message };
}

function isTimeout(summary: AzureErrorSummary): boolean {
  return (
    summary.code === 'AbortError' || summary.code === 'TimeoutError' || /timed? ?out/i.test(summary.message)
  );
}

export interface WrapContext {
  /** What was being done, e.g. `read secret 'db-password' in vault 'kv1'` (names only, never values). */
  action: string;
  /** Code for a 404; defaults to `ResourceNotFound`. */
  notFound?: ErrorCode;
}

/**
 * Maps an SDK error to a `RotationError`:
 * 401/403 → `PermissionDenied`, 404 → `context.notFound` (default `ResourceNotFound`),
 * 408/429/5xx, timeouts and socket errors → `AzureUnavailable` (transient, with `retryAfterSeconds`),
 * anything else → `InternalError`. A `RotationError` passes through unchanged.
 */
export function wrapAzureError(error: unknown, context: WrapContext): RotationError {
  if (error instanceof RotationError) return error;
  const summary = summarizeAzureError(error);
  const cause: AzureErrorSummary = { ...summary };
  const detail = `${summary.status === undefined ? '' : `${summary.status} `}${summary.code}: ${summary.message}`;
  const message = `${context.action} failed (${detail})`;
  const status = summary.status;
  if (status === 401 || status === 403) {
    return new RotationError('PermissionDenied', message, { cause });
  }
  if (status === 404) {
    return new RotationError(context.notFound ?? 'ResourceNotFound', message, { cause });
  }
  const transient =
    status === 408 ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    (status === undefined && (TRANSIENT_NETWORK_CODES.has(summary.code) || isTimeout(summary)));
  if (transient) {
    const retryAfterSeconds = retryAfterSecondsOf(error);
    return new RotationError('AzureUnavailable', message, {
      cause,
      transient: true,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  return new RotationError('InternalError', message, { cause });
}

/** Status code of an SDK error, for adapters that branch on 404/409/412 before wrapping. */
export function azureStatusOf(error: unknown): number | undefined {
  const e = asObject(error);
  return e ? statusOf(e) : undefined;
}

/** Service error code (`x-ms-error-code` / body `code`) of an SDK error. */
export function azureCodeOf(error: unknown): string | undefined {
  const e = asObject(error);
  return e && typeof e.code === 'string' ? e.code : undefined;
}
