/**
 * When is a value "valid at its provider"? The emulator's ARM module and data planes know for Azure keys
 * and the manual providers; two kinds have no service to ask, so they get a rule of their own:
 * - `jwt-secret`: non-empty and decodes (hex, base64url or base64) to at least 32 bytes — the shortest
 *   key HS256 accepts (RFC 7518 §3.2); a value that decodes to less is one no consumer could sign with;
 * - `mongodb`: parses as a `mongodb://` or `mongodb+srv://` connection string with a host.
 */
import type { ProviderKind } from '../../../rotation/kinds.js';
import type { DataPlanesModule } from '../dataplanes/index.js';

/** What a managed secret holds: its provider kind and, for Azure kinds, the provider resource (ARM id). */
export interface ManagedRef {
  kind: ProviderKind;
  /** ARM id (or account name) of the provider resource; Azure kinds fall back to the `ProviderAddress` tag. */
  resource?: string;
  /** Multi-part credentials (Razorpay): the part this secret holds (`keyId`, `keySecret`). */
  part?: string;
}

export type Verdict = { valid: true } | { valid: false; reason: string };

/** Override of the rule of one kind (tests that model a provider differently). */
export type ValidityRule = (value: string, ref: ManagedRef, tags: Record<string, string>) => Verdict;

export const JWT_MIN_KEY_BYTES = 32;

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MONGODB = /^mongodb(?:\+srv)?:\/\/(?:[^@/\s]+@)?[^/?\s@]+(?:[/?][^\s]*)?$/i;

/** Bytes the JWT value decodes to, or undefined when it is none of hex, base64url, base64. */
export function jwtKeyBytes(value: string): number | undefined {
  if (HEX.test(value)) return value.length / 2;
  if (BASE64URL.test(value)) return Buffer.from(value, 'base64url').length;
  if (BASE64.test(value)) return Buffer.from(value, 'base64').length;
  return undefined;
}

export function jwtVerdict(value: string): Verdict {
  if (value.length === 0) return { valid: false, reason: 'empty JWT signing secret' };
  const bytes = jwtKeyBytes(value);
  if (bytes === undefined)
    return { valid: false, reason: 'JWT signing secret is not hex, base64url or base64' };
  if (bytes < JWT_MIN_KEY_BYTES) {
    return { valid: false, reason: `JWT signing secret decodes to ${bytes} bytes (< ${JWT_MIN_KEY_BYTES})` };
  }
  return { valid: true };
}

export function mongoVerdict(value: string): Verdict {
  return MONGODB.test(value.trim())
    ? { valid: true }
    : { valid: false, reason: 'not a mongodb:// or mongodb+srv:// connection string' };
}

function readTag(tags: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(tags)) if (key.trim().toLowerCase() === wanted) return value;
  return undefined;
}

/** Razorpay secrets may hold one part of the pair; a part is valid when a live pair has it. */
function razorpayPartLive(planes: DataPlanesModule, value: string): boolean {
  return planes
    .credentials('razorpay')
    .some((c) => !c.revoked && (c.keyId === value || c.keySecret === value || c.value === value));
}

export function verdictOf(
  planes: DataPlanesModule,
  ref: ManagedRef,
  value: string,
  tags: Record<string, string>,
  rules: Partial<Record<ProviderKind, ValidityRule>> = {},
): Verdict {
  const rule = rules[ref.kind];
  if (rule) return rule(value, ref, tags);
  switch (ref.kind) {
    case 'jwt-secret':
      return jwtVerdict(value);
    case 'mongodb':
      return mongoVerdict(value);
    case 'razorpay':
      return razorpayPartLive(planes, value)
        ? { valid: true }
        : { valid: false, reason: 'not a live Razorpay key id, secret or pair' };
    case 'azure-cognitive-services':
    case 'azure-communication': {
      const resource = ref.resource ?? readTag(tags, 'ProviderAddress');
      if (resource === undefined) return { valid: false, reason: 'no provider resource to check against' };
      return planes.isValid(ref.kind, resource, value)
        ? { valid: true }
        : { valid: false, reason: `not a current key of ${resource}` };
    }
    default:
      return planes.isValid(ref.kind, '', value)
        ? { valid: true }
        : { valid: false, reason: `not a live ${ref.kind} credential` };
  }
}
