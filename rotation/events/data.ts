/**
 * Reading the `data` of a Key Vault event the way the service and its docs actually write it:
 * PascalCase or camelCase keys, a stray space in a key (`"ObjectName "`), a leading space in a value,
 * `NBF`/`EXP` as strings or numbers (DESIGN.md, conformance README).
 */
import { z } from 'zod';

/** `data` with keys trimmed and lowercased and string values trimmed. The first spelling of a key wins. */
export function normalizeData(data: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [rawKey, rawValue] of Object.entries(data)) {
    const k = rawKey.trim().toLowerCase();
    if (out.has(k)) continue;
    out.set(k, typeof rawValue === 'string' ? rawValue.trim() : rawValue);
  }
  return out;
}

/** A text field: absent, null and empty mean "not given"; anything but a string is a type error. */
export const optionalText = z
  .union([z.string(), z.null(), z.undefined()], { error: 'must be text' })
  .transform((v) => (v === null || v === undefined || v.trim() === '' ? undefined : v.trim()));

/**
 * A Key Vault timestamp: Unix seconds as a number or a numeric string (what the service sends), or
 * an ISO date (tolerated). Null or empty means "not set".
 */
export const unixTime = z
  .union([z.number(), z.string(), z.null(), z.undefined()], { error: 'must be Unix seconds or an ISO date' })
  .transform((value, ctx) => {
    if (value === null || value === undefined) return undefined;
    const text = typeof value === 'string' ? value.trim() : undefined;
    if (text === '') return undefined;
    let ms: number;
    if (typeof value === 'number') ms = value * 1000;
    else if (/^-?\d+(\.\d+)?$/.test(text!)) ms = Number(text) * 1000;
    else ms = /^\d{4}-\d{2}-\d{2}T/.test(text!) ? Date.parse(text!) : Number.NaN;
    if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
      ctx.addIssue({ code: 'custom', message: 'must be Unix seconds or an ISO date' });
      return z.NEVER;
    }
    return new Date(ms);
  });

export const eventTime = z.string().transform((value, ctx) => {
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN;
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time' });
    return z.NEVER;
  }
  return new Date(ms);
});

/** The parts of a Key Vault object id: `https://<vault>.vault.azure.net/secrets/<name>/<version>`. */
export interface ObjectIdParts {
  /** `secrets`, `keys`, `certificates`, lowercased. */
  collection?: string;
  name?: string;
  version?: string;
  /** Vault name when the host is `<vault>.vault.<cloud suffix>` (not for loopback emulators). */
  vault?: string;
}

export function parseObjectId(id: string | undefined): ObjectIdParts | undefined {
  if (id === undefined || !URL.canParse(id)) return undefined;
  const url = new URL(id);
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const labels = url.hostname.toLowerCase().split('.');
  const parts: ObjectIdParts = {};
  if (labels.length >= 3 && labels[1] === 'vault') parts.vault = labels[0];
  if (segments[0] !== undefined) parts.collection = segments[0].toLowerCase();
  // Kept percent-encoded on purpose: valid names and versions never need escapes, so an escaped
  // segment fails the name rules instead of decoding into something like `../`.
  if (segments[1] !== undefined) parts.name = segments[1];
  if (segments[2] !== undefined) parts.version = segments[2];
  return parts;
}

const VAULT_IN_ARM_ID = /\/providers\/microsoft\.keyvault\/vaults\/([^/]+)\/?$/i;

/** The vault name at the end of an ARM id (`topic` / CloudEvents `source`). */
export function vaultFromArmId(source: string | undefined): string | undefined {
  if (source === undefined) return undefined;
  return VAULT_IN_ARM_ID.exec(source.trim())?.[1];
}
