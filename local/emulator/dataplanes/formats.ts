/**
 * Credential formats of the manual providers, as their dashboards hand them out. Values are generated at
 * run time from `crypto.randomBytes`; the patterns check seeded values.
 */
import { randomBytes } from 'node:crypto';
import type { ManualDataPlaneKind } from './types.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URL_SAFE = `${ALNUM}-_`;
const HEX = '0123456789abcdef';

/** Uniform random string over `alphabet` (rejection sampling, so no modulo bias). */
export function randomString(length: number, alphabet: string): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

export interface CredentialParts {
  value: string;
  keyId?: string;
  keySecret?: string;
}

interface Format {
  generate(): CredentialParts;
  /** Splits and checks a seeded value; undefined when it is not in the provider's format. */
  parse(value: string): CredentialParts | undefined;
  /** Human description for error messages. */
  describe: string;
}

const single = (pattern: RegExp, generate: () => string, describe: string): Format => ({
  generate: () => ({ value: generate() }),
  parse: (value) => (pattern.test(value) ? { value } : undefined),
  describe,
});

export const FORMATS: Record<ManualDataPlaneKind, Format> = {
  'together-ai': single(
    /^([0-9a-f]{64}|tgp_v1_[A-Za-z0-9_-]{20,})$/,
    () => randomString(64, HEX),
    '64 hex characters (or a tgp_v1_ key)',
  ),
  groq: single(
    /^gsk_[A-Za-z0-9]{52}$/,
    () => `gsk_${randomString(52, ALNUM)}`,
    "'gsk_' and 52 letters or digits",
  ),
  deepseek: single(/^sk-[0-9a-f]{32}$/, () => `sk-${randomString(32, HEX)}`, "'sk-' and 32 hex characters"),
  qwen: single(/^sk-[0-9a-f]{32}$/, () => `sk-${randomString(32, HEX)}`, "'sk-' and 32 hex characters"),
  recaptcha: single(
    /^6L[A-Za-z0-9_-]{38}$/,
    () => `6L${randomString(38, URL_SAFE)}`,
    "40 characters starting with '6L'",
  ),
  razorpay: {
    generate: () => {
      const keyId = `rzp_test_${randomString(14, ALNUM)}`;
      const keySecret = randomString(24, ALNUM);
      return { value: `${keyId}:${keySecret}`, keyId, keySecret };
    },
    parse: (value) => {
      const match = /^(rzp_(?:test|live)_[A-Za-z0-9]{14}):([A-Za-z0-9]{24})$/.exec(value);
      return match?.[1] && match[2] ? { value, keyId: match[1], keySecret: match[2] } : undefined;
    },
    describe:
      "'key_id:key_secret' with key_id 'rzp_test_' and 14 letters or digits, secret 24 letters or digits",
  },
};
