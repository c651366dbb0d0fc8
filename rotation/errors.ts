/**
 * Every error the rotator raises on purpose is a `RotationError` with a stable `code`.
 * Messages must never contain a secret value: build them from names, versions and hints only.
 */

export const ERROR_CODES = {
  badRequest: 'BadRequest',
  configInvalid: 'ConfigInvalid',
  unauthorized: 'Unauthorized',
  notFound: 'NotFound',
  methodNotAllowed: 'MethodNotAllowed',
  secretNotFound: 'SecretNotFound',
  unmanagedSecret: 'UnmanagedSecret',
  runInProgress: 'RunInProgress',
  versionMismatch: 'VersionMismatch',
  payloadTooLarge: 'PayloadTooLarge',
  credentialRejected: 'CredentialRejected',
  providerUnavailable: 'ProviderUnavailable',
  azureUnavailable: 'AzureUnavailable',
  permissionDenied: 'PermissionDenied',
  resourceNotFound: 'ResourceNotFound',
  tagLimitExceeded: 'TagLimitExceeded',
  leaseLost: 'LeaseLost',
  spacing: 'SpacingNotElapsed',
  paused: 'RotationPaused',
  validationTimeout: 'ValidationTimeout',
  staleTrigger: 'StaleTrigger',
  planRequired: 'PlanRequired',
  /** The provider kind has no adapter in `providers/registry.ts` yet. */
  providerNotImplemented: 'ProviderNotImplemented',
  internal: 'InternalError',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface ErrorDetail {
  path: string;
  message: string;
}

export interface RotationErrorOptions {
  cause?: unknown;
  details?: ErrorDetail[];
  /** Seconds after which a retry may succeed (429/503 style errors). */
  retryAfterSeconds?: number;
  /** True when retrying the same operation later may succeed. */
  transient?: boolean;
}

export class RotationError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  readonly retryAfterSeconds: number | undefined;
  readonly transient: boolean;

  constructor(code: ErrorCode, message: string, options: RotationErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RotationError';
    this.code = code;
    this.details = options.details ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.transient = options.transient ?? false;
  }
}

export function isRotationError(error: unknown, code?: ErrorCode): error is RotationError {
  return error instanceof RotationError && (code === undefined || error.code === code);
}

/**
 * Reduces any thrown value to what may be shown: HTTP status, code and message. Axios and Azure SDK
 * errors carry request config and headers (with keys) — those are dropped here on purpose.
 */
export function describeError(error: unknown): { code: string; message: string; status?: number } {
  if (error instanceof RotationError) return { code: error.code, message: error.message };
  if (error && typeof error === 'object') {
    const e = error as {
      code?: unknown;
      message?: unknown;
      statusCode?: unknown;
      status?: unknown;
      response?: { status?: unknown };
    };
    const status =
      typeof e.statusCode === 'number'
        ? e.statusCode
        : typeof e.status === 'number'
          ? e.status
          : typeof e.response?.status === 'number'
            ? e.response.status
            : undefined;
    const code = typeof e.code === 'string' ? e.code : 'Error';
    const message = typeof e.message === 'string' ? e.message.split('\n')[0]!.slice(0, 300) : 'unknown error';
    return status === undefined ? { code, message } : { code, message, status };
  }
  return { code: 'Error', message: String(error).slice(0, 300) };
}
