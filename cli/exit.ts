/** Exit codes of `rotator`: 0 success, 1 a rotation failed, 2 usage or configuration error. */
import { isRotationError } from '../rotation/errors.js';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A mistake in how the command was called: printed with the command's usage, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Codes that mean the configuration, the settings or the command line is wrong (exit 2). */
const CONFIG_CODES = new Set([
  'ConfigInvalid',
  'BadRequest',
  'UnmanagedSecret',
  'SecretNotFound',
  'NotFound',
]);

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (isRotationError(error) && CONFIG_CODES.has(error.code)) return EXIT.usage;
  return EXIT.failed;
}
