/**
 * Settings of the `jwt-secret` provider: an HMAC signing secret the rotator generates itself.
 *
 * `keyFormat` says how consumers turn the stored string into key bytes: `utf8` (the string's own bytes,
 * what `jsonwebtoken`/`jose` do with a string secret) or `decoded` (decode it with `encoding` first).
 * Either way the key must be at least as long as the algorithm's hash (RFC 7518 §3.2).
 */
import { z } from 'zod';

export const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Minimum key size in bytes per algorithm (the hash output size). */
export const MIN_KEY_BYTES: Record<JwtAlgorithm, number> = { HS256: 32, HS384: 48, HS512: 64 };

export const jwtSecretSettings = z
  .object({
    /** Random bytes in a new secret (before encoding). */
    lengthBytes: z.number().int().min(32).max(1024).default(64),
    encoding: z.enum(['base64url', 'base64', 'hex']).default('base64url'),
    algorithm: z.enum(JWT_ALGORITHMS).default('HS256'),
    keyFormat: z.enum(['utf8', 'decoded']).default('utf8'),
    /** Days the previous versions stay enabled so tokens signed with them still verify. */
    graceDays: z.number().int().min(0).max(365).default(7),
  })
  .strict()
  .superRefine((settings, ctx) => {
    const min = MIN_KEY_BYTES[settings.algorithm];
    if (settings.lengthBytes < min) {
      ctx.addIssue({
        code: 'custom',
        path: ['lengthBytes'],
        message: `${settings.algorithm} needs a key of at least ${min} bytes`,
      });
    }
  });

export type JwtSecretSettings = z.infer<typeof jwtSecretSettings>;
