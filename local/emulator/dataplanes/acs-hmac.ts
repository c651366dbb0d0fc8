/**
 * Azure Communication Services HMAC-SHA256 request signing, as `@azure/communication-common`'s access-key
 * policy computes it:
 *
 *   stringToSign = `${VERB}\n${pathAndQuery}\n${x-ms-date};${host};${x-ms-content-sha256}`
 *   signature    = base64(HMAC-SHA256(base64decode(accessKey), stringToSign))
 *   Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<signature>
 *
 * Pure functions only: the emulator verifies with them; a production signer may reuse them.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ACS_SIGNED_HEADERS = 'x-ms-date;host;x-ms-content-sha256';

/** base64 SHA-256 of the body (the `x-ms-content-sha256` header); an absent body hashes as empty. */
export function computeAcsContentHash(body: string | Buffer | Uint8Array = ''): string {
  return createHash('sha256').update(body).digest('base64');
}

export interface AcsStringToSignInput {
  /** HTTP verb; upper-cased. */
  method: string;
  /** Path and query exactly as sent, e.g. `/emails/operations/abc?api-version=2023-03-31`. */
  pathAndQuery: string;
  /** Values of the signed headers, in `SignedHeaders` order (default order: x-ms-date, host, content hash). */
  headerValues: string[];
}

export function acsStringToSign(input: AcsStringToSignInput): string {
  return `${input.method.toUpperCase()}\n${input.pathAndQuery}\n${input.headerValues.join(';')}`;
}

export interface AcsSignatureInput {
  method: string;
  pathAndQuery: string;
  /** RFC 1123 date as sent in `x-ms-date`, e.g. `Tue, 01 Jul 2025 10:00:00 GMT`. */
  date: string;
  /** The `Host` header as sent (host and port when the port is not the default). */
  host: string;
  /** The `x-ms-content-sha256` header value. */
  contentHash: string;
  /** The access key as the resource hands it out (base64). */
  accessKey: string;
}

/** The `Signature` value for a request signed with `SignedHeaders=x-ms-date;host;x-ms-content-sha256`. */
export function computeAcsSignature(input: AcsSignatureInput): string {
  const stringToSign = acsStringToSign({
    method: input.method,
    pathAndQuery: input.pathAndQuery,
    headerValues: [input.date, input.host, input.contentHash],
  });
  return hmacBase64(input.accessKey, stringToSign);
}

/** base64 HMAC-SHA256 of `content` keyed with the base64-decoded access key. */
export function hmacBase64(accessKey: string, content: string): string {
  return createHmac('sha256', Buffer.from(accessKey, 'base64')).update(content, 'utf8').digest('base64');
}

/** The `Authorization` header value for a signature. */
export function acsAuthorizationHeader(signature: string, signedHeaders = ACS_SIGNED_HEADERS): string {
  return `HMAC-SHA256 SignedHeaders=${signedHeaders}&Signature=${signature}`;
}

/** Parses `HMAC-SHA256 SignedHeaders=a;b;c&Signature=xyz` (parameter names case-insensitive). */
export function parseAcsAuthorization(
  value: string,
): { signedHeaders: string[]; signature: string } | undefined {
  const match = /^HMAC-SHA256\s+(.+)$/i.exec(value.trim());
  if (!match?.[1]) return undefined;
  const params = new Map<string, string>();
  for (const part of match[1].split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const signedHeaders = params.get('signedheaders');
  const signature = params.get('signature');
  if (!signedHeaders || !signature) return undefined;
  return { signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()), signature };
}

/** Constant-time comparison of two base64 signatures (false on any length difference). */
export function signaturesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
