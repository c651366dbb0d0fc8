/**
 * Maps what an ARM call throws (a raw `RestError`, or a `RotationError` already mapped by the `azure/`
 * client factory) to a `RotationError` that tells ops what to do: the role to grant on a 403, the ARM id
 * on a 404, transient on 429/5xx. The cause is reduced to status/code/message, because SDK errors carry
 * the request (bearer token) and sometimes the response body.
 */
import { describeError, ERROR_CODES, isRotationError, RotationError } from '../../rotation/errors.js';

export interface ArmCallContext {
  /** ARM id of the resource the call is about. */
  resourceId: string;
  /** What we tried, e.g. `listKeys`. */
  operation: string;
  /** Sentence naming the role to grant, e.g. "Grant 'Cognitive Services Contributor' on …". */
  roleHint: string;
}

/** An Error with only the shown parts of the original (status, code, message). */
export function sanitizedCause(error: unknown): Error {
  const { code, message, status } = describeError(error);
  const cause = new Error(status === undefined ? `${code}: ${message}` : `${status} ${code}: ${message}`);
  cause.name = code;
  return cause;
}

function statusOf(error: unknown): number | undefined {
  return describeError(error).status;
}

function retryAfterOf(error: unknown): number | undefined {
  if (isRotationError(error)) return error.retryAfterSeconds;
  const headers = (error as { response?: { headers?: { get?: (name: string) => string | undefined } } })
    ?.response?.headers;
  if (typeof headers?.get !== 'function') return undefined;
  const ms = headers.get('retry-after-ms') ?? headers.get('x-ms-retry-after-ms');
  if (ms !== undefined && /^\d+$/.test(ms.trim())) return Math.ceil(Number(ms) / 1000);
  const raw = headers.get('retry-after');
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

const NETWORK_CODES = new Set([
  'REQUEST_SEND_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** A request that never got an answer (connection refused/reset, DNS, timeout): worth retrying later. */
function isNetworkError(error: unknown): boolean {
  if (!error || typeof error !== 'object' || isRotationError(error)) return false;
  const { code, name } = error as { code?: unknown; name?: unknown };
  return (
    (typeof code === 'string' && NETWORK_CODES.has(code)) || name === 'AbortError' || name === 'TimeoutError'
  );
}

export function toArmRotationError(error: unknown, ctx: ArmCallContext): RotationError {
  const what = `${ctx.operation} on ${ctx.resourceId}`;
  const cause = sanitizedCause(error);
  const status = statusOf(error);
  const code = isRotationError(error) ? error.code : undefined;

  if (code === ERROR_CODES.permissionDenied || status === 403 || status === 401) {
    const reason = status === 401 ? 'the rotator could not authenticate to ARM' : 'permission denied';
    return new RotationError(ERROR_CODES.permissionDenied, `${what}: ${reason}. ${ctx.roleHint}`, { cause });
  }
  if (code === ERROR_CODES.resourceNotFound || status === 404) {
    return new RotationError(
      ERROR_CODES.resourceNotFound,
      `${what}: resource not found. Check the resourceId setting / ProviderAddress tag (${ctx.resourceId}).`,
      { cause },
    );
  }
  if (
    code === ERROR_CODES.azureUnavailable ||
    status === 429 ||
    status === 409 ||
    (status !== undefined && status >= 500) ||
    (status === undefined && isNetworkError(error))
  ) {
    const retryAfterSeconds = retryAfterOf(error);
    return new RotationError(ERROR_CODES.azureUnavailable, `${what}: Azure unavailable (${cause.message})`, {
      cause,
      transient: true,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  if (isRotationError(error)) return error;
  return new RotationError(ERROR_CODES.internal, `${what} failed: ${cause.message}`, { cause });
}

/** Runs one ARM call, mapping its failure with {@link toArmRotationError}. */
export async function callArm<T>(ctx: ArmCallContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toArmRotationError(error, ctx);
  }
}
