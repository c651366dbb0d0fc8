/**
 * How non-HTTP triggers (Event Grid, queue) treat errors: a permanent problem is logged and the delivery
 * acknowledged (retrying cannot help); anything else is thrown so Event Grid or the queue retries it. What
 * is thrown is a fresh `RotationError` carrying code and message only: the runtime logs what a function
 * throws, and SDK errors carry request headers with keys.
 */
import { describeError, type ErrorCode, isRotationError, RotationError } from '../rotation/errors.js';

/** Codes that mean "this input can never succeed", unless the error says it is transient. */
const PERMANENT_CODES: ReadonlySet<ErrorCode> = new Set([
  'BadRequest',
  'UnmanagedSecret',
  'SecretNotFound',
  'ConfigInvalid',
  'ResourceNotFound',
  'ProviderNotImplemented',
  'TagLimitExceeded',
]);

export function isPermanent(error: unknown): boolean {
  return isRotationError(error) && !error.transient && PERMANENT_CODES.has(error.code);
}

/** The error to throw for a retry: code and message survive, nothing else. */
export function retryableError(error: unknown): RotationError {
  if (isRotationError(error)) {
    return new RotationError(error.code, error.message, {
      transient: true,
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
    });
  }
  const { code, message, status } = describeError(error);
  return new RotationError(
    'AzureUnavailable',
    `${code}${status === undefined ? '' : ` (HTTP ${status})`}: ${message}`,
    {
      transient: true,
    },
  );
}
