/**
 * Who made an HTTP call, for the run record and reports. App Service authentication (Easy Auth) injects
 * `x-ms-client-principal` (base64 JSON `{ auth_typ, claims: [{ typ, val }], name_typ, role_typ }`) and
 * `x-ms-client-principal-name`; external requests cannot set them when authentication is on. Without
 * them the caller is known only as a holder of the function key.
 *
 * A header that is present but malformed is a 400: recording a wrong identity is worse than refusing.
 * Claim values are never logged; only the chosen name (an identity, not a credential) is recorded.
 */
import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { RotationError } from '../../rotation/errors.js';

/** Recorded when no identity header is present. */
export const FUNCTION_KEY_CALLER = 'function-key';
/** The run message allows 256 characters; leave room for the identity provider suffix. */
const MAX_CALLER = 200;
/** A principal header larger than this is refused before decoding. */
const MAX_PRINCIPAL_HEADER = 16 * 1024;

const principalSchema = z.object({
  auth_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })).default([]),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
});

/** Claim types that name a caller, best first (after the principal's own `name_typ`). */
const NAME_CLAIMS = [
  'preferred_username',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'email',
  'name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  'appid',
  'azp',
  'http://schemas.microsoft.com/identity/claims/objectidentifier',
  'oid',
];

function clean(value: string): string {
  // Control characters would break log lines and CSV/HTML reports downstream.
  let out = '';
  for (const c of value.trim()) out += (c.codePointAt(0) ?? 0) < 0x20 || c === '\u007f' ? ' ' : c;
  return out.slice(0, MAX_CALLER);
}

function invalidPrincipal(message: string): RotationError {
  return new RotationError('BadRequest', `x-ms-client-principal ${message}`, {
    details: [{ path: 'x-ms-client-principal', message }],
  });
}

/** The caller's name from a decoded principal, or undefined when it names nobody. */
function nameOf(principal: z.infer<typeof principalSchema>): string | undefined {
  const types = [principal.name_typ, ...NAME_CLAIMS].filter((t): t is string => !!t);
  for (const type of types) {
    const claim = principal.claims.find((c) => c.typ.toLowerCase() === type.toLowerCase() && c.val.trim());
    if (claim) return clean(claim.val);
  }
  return undefined;
}

/**
 * The caller recorded on runs: `<name> (<identity provider>)` from App Service authentication,
 * `x-ms-client-principal-name` when only that is present, else `function-key`.
 */
export function callerOf(request: HttpRequest): string {
  const header = request.headers.get('x-ms-client-principal');
  const plainName = request.headers.get('x-ms-client-principal-name')?.trim();
  const idp = request.headers.get('x-ms-client-principal-idp')?.trim();
  if (header !== null && header.trim() !== '') {
    if (header.length > MAX_PRINCIPAL_HEADER) throw invalidPrincipal('is too large');
    const text = header.trim();
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) throw invalidPrincipal('is not base64');
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    } catch {
      // JSON.parse quotes its input in the message; say only what is wrong.
      throw invalidPrincipal('is not base64-encoded JSON');
    }
    const parsed = principalSchema.safeParse(decoded);
    if (!parsed.success) throw invalidPrincipal('does not have the App Service principal shape');
    const name = nameOf(parsed.data) ?? (plainName ? clean(plainName) : undefined);
    if (!name) throw invalidPrincipal('names no caller (no name, upn, email or object id claim)');
    const provider = parsed.data.auth_typ?.trim() || idp;
    return provider ? `${name} (${clean(provider).slice(0, 40)})` : name;
  }
  if (plainName) return idp ? `${clean(plainName)} (${clean(idp).slice(0, 40)})` : clean(plainName);
  return FUNCTION_KEY_CALLER;
}

/** Builds an `x-ms-client-principal` value (tests, local tools). */
export function encodeClientPrincipal(input: {
  authType?: string;
  name: string;
  nameType?: string;
  claims?: { typ: string; val: string }[];
}): string {
  const nameType = input.nameType ?? 'name';
  return Buffer.from(
    JSON.stringify({
      auth_typ: input.authType ?? 'aad',
      claims: [{ typ: nameType, val: input.name }, ...(input.claims ?? [])],
      name_typ: nameType,
      role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
    }),
    'utf8',
  ).toString('base64');
}
