/**
 * Webhook signing: `X-Rotator-Timestamp: <unix seconds>` and
 * `X-Rotator-Signature: v1=<hex HMAC-SHA256(signingKey, timestamp + "." + rawBody)>`.
 * The timestamp is inside the signed text, so a receiver that rejects old timestamps also rejects replays.
 */
import { createHmac } from 'node:crypto';

export const TIMESTAMP_HEADER = 'X-Rotator-Timestamp';
export const SIGNATURE_HEADER = 'X-Rotator-Signature';
export const SIGNATURE_VERSION = 'v1';

export function computeSignature(signingKey: string, timestamp: string, rawBody: string | Buffer): string {
  return createHmac('sha256', signingKey).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/**
 * Headers for one delivery. `unixSeconds` must come from the real wall clock, not the rotator's (possibly
 * fast-forwarded) emulator clock: receivers compare it with their own clock.
 */
export function signatureHeaders(
  signingKey: string,
  rawBody: string,
  unixSeconds: number,
): Record<string, string> {
  const timestamp = String(Math.floor(unixSeconds));
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: `${SIGNATURE_VERSION}=${computeSignature(signingKey, timestamp, rawBody)}`,
  };
}
