/**
 * How a Razorpay key pair travels through the rotator. The key id and key secret are ONE credential kept
 * in one or two Key Vault secrets:
 *
 * - two secrets: `rotation.json` marks each with `part: "keyId"` or `part: "keySecret"`. The engine writes
 *   `credential.parts[secret.part]` into each (`rotation/engine/credential.ts` `valueFor`), so the
 *   `IssuedCredential` is `{ value: <the part of the secret it was submitted for>, parts: { keyId, keySecret } }`
 *   — build it with `razorpayCredential`;
 * - one secret without `part`: the value is `key_id:key_secret` (what basic auth carries) and `parts`
 *   may be absent.
 *
 * `resolvePair` accepts both, and also a lone part (e.g. only the new key secret was submitted): the other
 * part is then read from the group's sibling secret in Key Vault, and reasons say so.
 */
import type { IssuedCredential, ProviderContext } from '../../rotation/ports.js';
import type { RazorpayPart } from './settings.js';

export interface RazorpayPair {
  keyId: string;
  keySecret: string;
}

export const KEY_ID_PATTERN = /^rzp_(test|live)_[A-Za-z0-9]{8,}$/;
export const KEY_SECRET_PATTERN = /^[A-Za-z0-9]{16,}$/;

/** The credential to hand the engine for a pair; `part` names the part of the secret it was submitted for. */
export function razorpayCredential(
  pair: RazorpayPair,
  credentialId: string,
  part?: RazorpayPart,
): IssuedCredential {
  return {
    value: part === undefined ? `${pair.keyId}:${pair.keySecret}` : pair[part],
    credentialId,
    parts: { keyId: pair.keyId, keySecret: pair.keySecret },
  };
}

/** Splits `key_id:key_secret`; undefined when the value is not in that form. */
export function splitPair(value: string): RazorpayPair | undefined {
  const colon = value.indexOf(':');
  if (colon <= 0) return undefined;
  const keyId = value.slice(0, colon);
  const keySecret = value.slice(colon + 1);
  return KEY_ID_PATTERN.test(keyId) && keySecret.length > 0 ? { keyId, keySecret } : undefined;
}

/** The mode of a key id (`rzp_test_…` / `rzp_live_…`). */
export function keyMode(keyId: string): 'test' | 'live' | undefined {
  const mode = KEY_ID_PATTERN.exec(keyId)?.[1];
  return mode === 'test' || mode === 'live' ? mode : undefined;
}

export type PairResolution = { pair: RazorpayPair; borrowed?: string } | { problem: string };

/** Current value of the group's secret holding `part`, or undefined when the group has none. */
async function siblingPart<S>(
  ctx: ProviderContext<S>,
  part: RazorpayPart,
): Promise<{ secret: string; value: string | undefined } | undefined> {
  const secret = ctx.group.secrets.find((s) => s.part === part);
  if (!secret) return undefined;
  const current = await ctx.secrets.getCurrent(ctx.group.vault, secret.name);
  return { secret: secret.name, value: current?.value };
}

/** The pair to check (see the module comment). `borrowed` names the secret a missing part came from. */
export async function resolvePair<S>(
  ctx: ProviderContext<S>,
  credential: IssuedCredential,
): Promise<PairResolution> {
  const keyId = credential.parts?.keyId;
  const keySecret = credential.parts?.keySecret;
  if (keyId !== undefined && keySecret !== undefined) {
    const pairForm = `${keyId}:${keySecret}`;
    if (![keyId, keySecret, pairForm].includes(credential.value)) {
      return { problem: 'the submitted value matches neither the key id nor the key secret of its parts' };
    }
    return { pair: { keyId, keySecret } };
  }
  const whole = splitPair(credential.value);
  if (whole) return { pair: whole };

  const given: RazorpayPart =
    keyId !== undefined || credential.value.startsWith('rzp_') ? 'keyId' : 'keySecret';
  const missing: RazorpayPart = given === 'keyId' ? 'keySecret' : 'keyId';
  const givenValue = (given === 'keyId' ? keyId : keySecret) ?? credential.value;
  const sibling = await siblingPart(ctx, missing);
  if (!sibling) {
    return {
      problem:
        `only the ${given === 'keyId' ? 'key id' : 'key secret'} was given: submit 'key_id:key_secret', or ` +
        `give the group a secret with part '${missing}'`,
    };
  }
  if (sibling.value === undefined) {
    return { problem: `the ${missing} part is missing: secret ${sibling.secret} has no current value` };
  }
  const pair =
    given === 'keyId'
      ? { keyId: givenValue, keySecret: sibling.value }
      : { keyId: sibling.value, keySecret: givenValue };
  return { pair, borrowed: sibling.secret };
}
