/**
 * Key Vault paging: `maxresults` (1..25, default 25), an opaque `$skiptoken`, and an absolute `nextLink` that
 * repeats `api-version` (and `maxresults` when the client gave it), explicitly `null` on the last page.
 * The token is base64url JSON `{"NextMarker": <last key served>, "TargetLocation": 0}`, like the service's.
 */
import { HttpError } from '../core/http-error.js';

export const MAX_PAGE_SIZE = 25;

export interface Page<T> {
  value: T[];
  nextLink: string | null;
}

function decodeToken(token: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new HttpError(400, 'BadParameter', 'The $skiptoken parameter is invalid.');
  }
  const marker = (parsed as { NextMarker?: unknown } | null)?.NextMarker;
  if (typeof marker !== 'string')
    throw new HttpError(400, 'BadParameter', 'The $skiptoken parameter is invalid.');
  return marker;
}

function encodeToken(marker: string): string {
  return Buffer.from(JSON.stringify({ NextMarker: marker, TargetLocation: 0 }), 'utf8').toString('base64url');
}

function pageSize(url: URL): number {
  const raw = url.searchParams.get('maxresults');
  if (raw === null || raw === '') return MAX_PAGE_SIZE;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new HttpError(
      400,
      'BadParameter',
      `The value of maxresults must be between 1 and ${MAX_PAGE_SIZE}.`,
    );
  }
  return size;
}

/**
 * One page of `items` (already sorted by `keyOf`, ascending) for the request `url`. Paging by marker keeps
 * pages stable while items are added or removed between calls.
 */
export function pageOf<T, R>(
  items: readonly T[],
  keyOf: (item: T) => string,
  render: (item: T) => R,
  url: URL,
  vaultUrl: string,
): Page<R> {
  const size = pageSize(url);
  const token = url.searchParams.get('$skiptoken');
  const marker = token ? decodeToken(token) : undefined;
  const remaining = marker === undefined ? items : items.filter((item) => keyOf(item) > marker);
  const served = remaining.slice(0, size);
  let nextLink: string | null = null;
  const last = served[served.length - 1];
  if (remaining.length > size && last !== undefined) {
    const query = new URLSearchParams();
    query.set('api-version', url.searchParams.get('api-version') ?? '');
    query.set('$skiptoken', encodeToken(keyOf(last)));
    if (url.searchParams.has('maxresults')) query.set('maxresults', String(size));
    nextLink = `${vaultUrl}${url.pathname}?${query.toString().replace('%24skiptoken', '$skiptoken')}`;
  }
  return { value: served.map(render), nextLink };
}
