/**
 * Receiver-side check of a rotator webhook (copy this file into a receiver, or import it). Verify the raw
 * request body — bytes as received, before any JSON parsing — and reject anything older than 5 minutes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface VerifyRotatorSignatureInput {
  /** The raw request body exactly as received. */
  rawBody: string | Buffer;
  /** `X-Rotator-Timestamp` header value. */
  timestamp: string | undefined;
  /** `X-Rotator-Signature` header value: `v1=<hex>` (several comma-separated entries are accepted). */
  signature: string | undefined;
  signingKey: string;
  /** Receiver's current time (default: now). */
  now?: Date;
  /** Accepted clock difference in either direction, seconds (default 300). */
  toleranceSeconds?: number;
}

export type VerifyRotatorSignatureResult =
  | { ok: true }
  | { ok: false; reason: 'stale' | 'bad-signature' | 'malformed' };

const TIMESTAMP = /^\d{1,12}$/;
const V1_SIGNATURE = /^v1=([0-9a-f]{64})$/i;

export function verifyRotatorSignature(input: VerifyRotatorSignatureInput): VerifyRotatorSignatureResult {
  const { timestamp, signature, signingKey } = input;
  if (timestamp === undefined || !TIMESTAMP.test(timestamp.trim())) return { ok: false, reason: 'malformed' };
  if (signature === undefined) return { ok: false, reason: 'malformed' };
  const candidates: Buffer[] = [];
  for (const part of signature.split(',')) {
    const match = V1_SIGNATURE.exec(part.trim());
    if (match) candidates.push(Buffer.from(match[1]!.toLowerCase(), 'hex'));
  }
  if (candidates.length === 0 || signingKey.length === 0) return { ok: false, reason: 'malformed' };

  const tolerance = input.toleranceSeconds ?? 300;
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - Number(timestamp.trim())) > tolerance) return { ok: false, reason: 'stale' };

  const expected = createHmac('sha256', signingKey)
    .update(`${timestamp.trim()}.`)
    .update(input.rawBody)
    .digest();
  // Compare every candidate (no early exit) in constant time; all are 32 bytes, like `expected`.
  let matched = false;
  for (const candidate of candidates) {
    if (timingSafeEqual(candidate, expected)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, reason: 'bad-signature' };
}
