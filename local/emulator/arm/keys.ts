/**
 * Key material for emulated resources: generated at run time with `crypto.randomBytes`, in each
 * service's real format, so nothing secret-looking is ever a literal in the code.
 */
import { createHash, randomBytes } from 'node:crypto';

/** A Cognitive Services key: 32 lowercase hex characters (16 random bytes). */
export function newCognitiveKey(): string {
  return randomBytes(16).toString('hex');
}

/** A Communication Services access key: base64 of 64 random bytes (88 characters). */
export function newCommunicationKey(): string {
  return randomBytes(64).toString('base64');
}

export const COGNITIVE_KEY_PATTERN = /^[0-9a-f]{32}$/i;
/** Base64 of 64 bytes: 86 characters and `==` padding. */
export const COMMUNICATION_KEY_PATTERN = /^[A-Za-z0-9+/]{86}==$/;

/**
 * Communication connection string, as the service formats it: lowercase `endpoint` and `accesskey`,
 * separated by `;` (the official regenerateKey example: `endpoint=http://example.com;accesskey=1234`;
 * the portal's values carry the trailing slash of the endpoint URL).
 */
export function communicationConnectionString(endpoint: string, key: string): string {
  return `endpoint=${endpoint};accesskey=${key}`;
}

/** Parses `endpoint=…;accesskey=…` (field names case-insensitive, any order). */
export function parseCommunicationConnectionString(
  value: string,
): { endpoint: string; accessKey: string } | undefined {
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

/** A short, non-reversible fingerprint of a key for snapshots ("did it change?") without the value. */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}
