/**
 * Reads a JSON request body with a byte limit and a zod schema. Bad input becomes a `RotationError`
 * (`BadRequest` with `details`, or `PayloadTooLarge`) that `withErrorHandling` maps to 400/413.
 * The body's content never appears in an error: it may hold a credential (`/versions` submits one).
 */
import type { HttpRequest } from '@azure/functions';
import type { ZodType, z } from 'zod';
import { ERROR_CODES, type ErrorDetail, RotationError } from '../../rotation/errors.js';

export interface ReadJsonBodyOptions {
  /** Largest accepted body in bytes (DESIGN.md: 8 KiB rotate, 64 KiB rotations, 32 KiB versions). */
  maxBytes: number;
}

/** `application/json` or any `+json` media type, parameters (charset) allowed. */
export function isJsonContentType(value: string | null): boolean {
  if (value === null) return false;
  const mediaType = value.split(';', 1)[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

function tooLarge(maxBytes: number): RotationError {
  return new RotationError(
    ERROR_CODES.payloadTooLarge,
    `The request body exceeds the limit of ${maxBytes} bytes.`,
  );
}

function badRequest(message: string, details: ErrorDetail[] = []): RotationError {
  return new RotationError(ERROR_CODES.badRequest, message, { details });
}

/** Reads at most `maxBytes` bytes; stops (and cancels the stream) as soon as the body is over the limit. */
export async function readBodyBytes(request: HttpRequest, maxBytes: number): Promise<Buffer> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes)
    throw tooLarge(maxBytes);
  const stream = request.body;
  if (stream === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = Buffer.from(value as Uint8Array);
      total += chunk.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw tooLarge(maxBytes);
      }
      chunks.push(chunk);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, total);
}

/** JSON path of a zod issue: `$`, `$.items[0].name`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '$';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/**
 * The request body, parsed as JSON and validated by `schema`. Throws `RotationError`:
 * `BadRequest` (wrong content type, empty or malformed JSON, schema issues as `details: [{ path, message }]`)
 * or `PayloadTooLarge` (by `Content-Length` first, then by counting the bytes actually read).
 */
export async function readJsonBody<S extends ZodType>(
  request: HttpRequest,
  schema: S,
  options: ReadJsonBodyOptions,
): Promise<z.output<S>> {
  if (!isJsonContentType(request.headers.get('content-type'))) {
    throw badRequest('The request body must be JSON (Content-Type: application/json).', [
      { path: 'Content-Type', message: 'expected application/json' },
    ]);
  }
  const bytes = await readBodyBytes(request, options.maxBytes);
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw badRequest('The request body is empty; a JSON object is expected.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the input: report position-free, content-free text only.
    throw badRequest('The request body is not valid JSON.', [{ path: '$', message: 'malformed JSON' }]);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => ({
      path: formatIssuePath(issue.path),
      message: issue.message,
    }));
    throw badRequest('The request body is invalid.', details);
  }
  return parsed.data;
}
