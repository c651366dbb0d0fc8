/**
 * DESIGN.md's error body for every HTTP answer that is not a success:
 * `{ "error": { "code", "message", "details": [{ "path", "message" }] } }` — never a stack trace.
 */
import type { HttpResponseInit } from '@azure/functions';
import type { ErrorCode, ErrorDetail, RotationError } from '../../rotation/errors.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

/** Seconds a client is told to wait on a 503 when the error does not say. */
export const DEFAULT_RETRY_AFTER_SECONDS = 30;

/**
 * HTTP status for each `RotationError` code. `satisfies Record<ErrorCode, …>` makes a new code fail to
 * compile until it has a status. Codes that describe our own setup (config, permissions) are 500s: the
 * caller cannot fix them; their message still says what is wrong.
 */
export const ERROR_STATUS = {
  BadRequest: 400,
  PlanRequired: 400,
  Unauthorized: 401,
  NotFound: 404,
  SecretNotFound: 404,
  UnmanagedSecret: 404,
  MethodNotAllowed: 405,
  RunInProgress: 409,
  SpacingNotElapsed: 409,
  StaleTrigger: 409,
  LeaseLost: 409,
  VersionMismatch: 412,
  PayloadTooLarge: 413,
  CredentialRejected: 422,
  TagLimitExceeded: 422,
  ResourceNotFound: 422,
  ProviderUnavailable: 503,
  AzureUnavailable: 503,
  ValidationTimeout: 503,
  RotationPaused: 503,
  ConfigInvalid: 500,
  PermissionDenied: 500,
  ProviderNotImplemented: 501,
  InternalError: 500,
} as const satisfies Record<ErrorCode, number>;

export function statusForErrorCode(code: ErrorCode): number {
  return ERROR_STATUS[code];
}

/** The error response; `details` is omitted when empty. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  details?: readonly ErrorDetail[],
): HttpResponseInit & { status: number; jsonBody: ErrorBody } {
  const error: ErrorBody['error'] = { code, message };
  if (details && details.length > 0)
    error.details = details.map((d) => ({ path: d.path, message: d.message }));
  return { status, jsonBody: { error } };
}

/** Maps a `RotationError` to its response; 503s carry `Retry-After`. */
export function rotationErrorResponse(
  error: RotationError,
): HttpResponseInit & { status: number; jsonBody: ErrorBody } {
  const status = statusForErrorCode(error.code);
  const response = errorResponse(status, error.code, error.message, error.details);
  if (status === 503 || error.retryAfterSeconds !== undefined) {
    const seconds = Math.max(1, Math.ceil(error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS));
    return { ...response, headers: { 'Retry-After': String(seconds) } };
  }
  return response;
}

/** The only body a 500 for an unexpected error carries. */
export function internalErrorResponse(): HttpResponseInit & { status: number; jsonBody: ErrorBody } {
  return errorResponse(
    500,
    'InternalError',
    'The request failed unexpectedly; details are in the function log.',
  );
}
