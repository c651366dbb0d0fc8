/**
 * HMAC-SHA256 request signing for Azure Communication Services data planes, as the Azure SDKs sign
 * (`@azure/communication-common`, `createCommunicationAccessKeyCredentialPolicy`):
 *
 *   stringToSign = `${VERB}\n${pathAndQuery}\n${x-ms-date};${host};${x-ms-content-sha256}`
 *   signature    = base64(HMAC-SHA256(base64decode(accessKey), stringToSign))
 *   Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<signature>
 *
 * `x-ms-content-sha256` is base64(SHA-256(body)) (of the empty string when there is no body), `x-ms-date`
 * an RFC 1123 date, `pathAndQuery` the URL path plus `?` and the re-serialised query when there is one.
 * One deliberate difference: the JS SDK builds the host as `${url.host}:${url.port}`, which doubles the
 * port for endpoints that have one (`host:443:443`); real ACS endpoints have none, so both agree there. We
 * sign and send `url.host` as is, which is what a server reading the `Host` header verifies.
 */
import { createHash, createHmac } from 'node:crypto';

export interface AcsSignInput {
  method: string;
  url: URL;
  /** Base64 access key (the `accesskey` of a connection string). */
  accessKey: string;
  body?: string;
  date?: Date;
}

/** Parts of the string to sign, exported for tests and for servers that verify signatures. */
export function acsStringToSign(method: string, url: URL, date: string, contentHash: string): string {
  const query = url.searchParams.toString();
  const pathAndQuery = query ? `${url.pathname}?${query}` : url.pathname;
  return `${method.toUpperCase()}\n${pathAndQuery}\n${date};${url.host};${contentHash}`;
}

/** Headers that authenticate the request: `host`, `x-ms-date`, `x-ms-content-sha256`, `authorization`. */
export function signAcsRequest(input: AcsSignInput): Record<string, string> {
  const date = (input.date ?? new Date()).toUTCString();
  const contentHash = createHash('sha256')
    .update(input.body ?? '')
    .digest('base64');
  const stringToSign = acsStringToSign(input.method, input.url, date, contentHash);
  const signature = createHmac('sha256', Buffer.from(input.accessKey, 'base64'))
    .update(stringToSign)
    .digest('base64');
  return {
    host: input.url.host,
    'x-ms-date': date,
    'x-ms-content-sha256': contentHash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
  };
}

/**
 * Communication connection string, as ARM returns it: `endpoint=<url>;accesskey=<key>` (lowercase field
 * names, `;`-separated; the official regenerateKey example).
 */
export function acsConnectionString(endpoint: string, accessKey: string): string {
  return `endpoint=${endpoint};accesskey=${accessKey}`;
}

/** Parses `endpoint=…;accesskey=…` (field names case-insensitive, any order); undefined when it is not one. */
export function parseAcsConnectionString(value: string): { endpoint: string; accessKey: string } | undefined {
  const fields = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const endpoint = fields.get('endpoint');
  const accessKey = fields.get('accesskey');
  return endpoint && accessKey ? { endpoint, accessKey } : undefined;
}
