/**
 * Small Node `http` helpers for the local host: JSON and error answers (DESIGN.md's error body), a body
 * reader with a byte limit, and the one-line request log with `code` redacted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResponse } from '../../functions/http/errors.js';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, errorResponse(status, code, message).jsonBody, headers);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-length': '0' });
  res.end();
}

export const UNAUTHORIZED_MESSAGE =
  'A valid function key is required (x-functions-key header or code query parameter).';

/**
 * Reads the whole body, at most `limit` bytes: `Content-Length` is checked first, then the bytes actually
 * received. Over the limit it throws `BodyTooLargeError` and leaves the rest of the body to be drained.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > limit) throw new BodyTooLargeError(limit);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Answers 413 and closes the connection once sent; the unread rest of the body is discarded.
 */
export function sendTooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  sendError(res, 413, 'PayloadTooLarge', `The request body exceeds the limit of ${limit} bytes.`, {
    connection: 'close',
  });
  req.resume();
}

/** The path and query with every `code` parameter's value replaced by `REDACTED` (case-insensitive name). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name: string;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // Undecodable names are kept verbatim; they cannot be `code`.
        name = rawName;
      }
      return name.trim().toLowerCase() === 'code' ? `${rawName}=REDACTED` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}
