/**
 * Function-key checks as the Functions host does them: `x-functions-key` header or `?code=` query.
 * Compared in constant time on SHA-256 digests (equal length whatever the input length).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function keysEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The key a request presents: the header wins over the query parameter, as in Azure. */
export function presentedKey(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  const header = headers['x-functions-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader !== undefined && fromHeader !== '') return fromHeader;
  return query.get('code') ?? undefined;
}

export function hasValidKey(headers: IncomingHttpHeaders, query: URLSearchParams, expected: string): boolean {
  const given = presentedKey(headers, query);
  return given !== undefined && keysEqual(given, expected);
}
