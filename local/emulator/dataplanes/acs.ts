/**
 * Azure Communication Services data plane: HMAC-SHA256 verification as the service does it, against the
 * resource's *current* keys (so a regenerated key stops working at once), plus a few Email routes.
 */
import { randomUUID } from 'node:crypto';
import { header, json } from '../arm/http.js';
import type { ArmModule } from '../arm/index.js';
import type { EmulatorContext, EmulatorRequest, EmulatorResponse, Route } from '../types.js';
import {
  acsStringToSign,
  computeAcsContentHash,
  hmacBase64,
  parseAcsAuthorization,
  signaturesEqual,
} from './acs-hmac.js';

const TYPE = 'Microsoft.Communication/communicationServices';
/** The service rejects requests whose date is further than this from its clock. */
export const ACS_MAX_SKEW_MS = 15 * 60 * 1000;

export type AcsDenyReason =
  | 'missing-authorization'
  | 'malformed-authorization'
  | 'unsigned-required-header'
  | 'missing-signed-header'
  | 'content-hash-mismatch'
  | 'bad-date'
  | 'date-skew'
  | 'signature-mismatch';

export type AcsVerdict = { ok: true } | { ok: false; reason: AcsDenyReason };

/**
 * Verifies an HMAC-signed request against any of `keys`. The signed path and query are the raw ones the
 * request carried; `host` is the `Host` header as received.
 */
export function verifyAcsRequest(req: EmulatorRequest, keys: readonly string[], now: Date): AcsVerdict {
  const authorization = header(req, 'authorization');
  if (!authorization) return { ok: false, reason: 'missing-authorization' };
  const parsed = parseAcsAuthorization(authorization);
  if (!parsed) return { ok: false, reason: 'malformed-authorization' };
  const signed = parsed.signedHeaders;
  const dateHeader = signed.includes('x-ms-date')
    ? 'x-ms-date'
    : signed.includes('date')
      ? 'date'
      : undefined;
  if (!dateHeader || !signed.includes('host') || !signed.includes('x-ms-content-sha256')) {
    return { ok: false, reason: 'unsigned-required-header' };
  }
  const values: string[] = [];
  for (const name of signed) {
    const value = header(req, name);
    if (value === undefined) return { ok: false, reason: 'missing-signed-header' };
    values.push(value);
  }
  if (header(req, 'x-ms-content-sha256') !== computeAcsContentHash(req.body)) {
    return { ok: false, reason: 'content-hash-mismatch' };
  }
  const sentAt = Date.parse(header(req, dateHeader) ?? '');
  if (Number.isNaN(sentAt)) return { ok: false, reason: 'bad-date' };
  if (Math.abs(now.getTime() - sentAt) > ACS_MAX_SKEW_MS) return { ok: false, reason: 'date-skew' };
  const stringToSign = acsStringToSign({
    method: req.method,
    pathAndQuery: req.url.pathname + req.url.search,
    headerValues: values,
  });
  const matches = keys.some((key) => signaturesEqual(hmacBase64(key, stringToSign), parsed.signature));
  return matches ? { ok: true } : { ok: false, reason: 'signature-mismatch' };
}

function denied(reason: AcsDenyReason): EmulatorResponse {
  return {
    status: 401,
    // Not a real ACS header: tells a test *why* without changing the service's own body.
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-emulator-deny-reason': reason },
    body: { error: { code: 'Denied', message: 'Denied by the resource provider.' } },
  };
}

export function acsRoutes(ctx: EmulatorContext, arm: ArmModule): Route[] {
  const operations = new Map<string, { id: string; status: string }>();
  /** Runs `then` only for a request signed with a current key of the named resource. */
  const signed =
    (then: (req: EmulatorRequest, params: Record<string, string>) => EmulatorResponse) =>
    (req: EmulatorRequest, params: Record<string, string>): EmulatorResponse => {
      const keys = arm.currentKeysByName(TYPE, params.name ?? '');
      if (!keys)
        return json(404, { error: { code: 'NotFound', message: 'The requested resource was not found.' } });
      const verdict = verifyAcsRequest(req, keys, ctx.clock.now());
      return verdict.ok ? then(req, params) : denied(verdict.reason);
    };
  const notFound = () =>
    json(404, { error: { code: 'NotFound', message: 'The requested resource was not found.' } });
  const routes: Route[] = [
    {
      method: 'POST',
      pattern: '/acs/:name/emails:send',
      handler: signed((req, params) => {
        const id = header(req, 'operation-id') ?? randomUUID();
        operations.set(id, { id, status: 'Succeeded' });
        const name = encodeURIComponent(params.name ?? '');
        const location = `${ctx.origin()}/acs/${name}/emails/operations/${id}?api-version=2023-03-31`;
        return {
          status: 202,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'operation-location': location,
            'retry-after': '0',
          },
          body: { id, status: 'Running', error: null },
        };
      }),
    },
    {
      method: 'GET',
      pattern: '/acs/:name/emails/operations/:id',
      // Any operation id answers 200 for a good signature: a client probes a key's validity this way.
      handler: signed((_req, params) => {
        const id = params.id ?? '';
        return json(200, operations.get(id) ?? { id, status: 'Succeeded', error: null });
      }),
    },
  ];
  // Any other path under the resource's prefix: verified like the rest, then 404 (nothing served there).
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    for (const tail of [':a?', ':a/:b', ':a/:b/:c', ':a/:b/:c/:d']) {
      routes.push({ method, pattern: `/acs/:name/${tail}`, handler: signed(notFound) });
    }
  }
  return routes;
}
