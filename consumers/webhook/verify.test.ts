import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeSignature, SIGNATURE_HEADER, signatureHeaders, TIMESTAMP_HEADER } from './sign.js';
import { verifyRotatorSignature } from './verify.js';

const key = randomBytes(32).toString('hex');
const body = JSON.stringify({ type: 'rotation.completed', runId: 'r1', vault: 'kv', secrets: ['a'] });
const now = new Date('2030-06-01T12:00:00.000Z');
const nowSeconds = now.getTime() / 1000;

function signed(at = nowSeconds, rawBody = body, signingKey = key) {
  const headers = signatureHeaders(signingKey, rawBody, at);
  return { timestamp: headers[TIMESTAMP_HEADER], signature: headers[SIGNATURE_HEADER] };
}

describe('verifyRotatorSignature', () => {
  it('accepts a fresh, untampered message', () => {
    const { timestamp, signature } = signed();
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(timestamp).toBe(String(nowSeconds));
    expect(verifyRotatorSignature({ rawBody: body, timestamp, signature, signingKey: key, now })).toEqual({
      ok: true,
    });
    expect(
      verifyRotatorSignature({ rawBody: Buffer.from(body), timestamp, signature, signingKey: key, now }),
    ).toEqual({ ok: true });
  });

  it('signs timestamp + "." + raw body with HMAC-SHA256', () => {
    const { timestamp, signature } = signed();
    expect(signature).toBe(`v1=${computeSignature(key, timestamp!, body)}`);
  });

  it('rejects a replay older than 300 s and one from too far in the future', () => {
    const old = signed(nowSeconds - 301);
    expect(verifyRotatorSignature({ rawBody: body, ...old, signingKey: key, now })).toEqual({
      ok: false,
      reason: 'stale',
    });
    const edge = signed(nowSeconds - 300);
    expect(verifyRotatorSignature({ rawBody: body, ...edge, signingKey: key, now }).ok).toBe(true);
    const future = signed(nowSeconds + 301);
    expect(verifyRotatorSignature({ rawBody: body, ...future, signingKey: key, now })).toEqual({
      ok: false,
      reason: 'stale',
    });
    const tight = signed(nowSeconds - 20);
    expect(
      verifyRotatorSignature({ rawBody: body, ...tight, signingKey: key, now, toleranceSeconds: 10 }).ok,
    ).toBe(false);
  });

  it('rejects a tampered body, signature, timestamp or key', () => {
    const { timestamp, signature } = signed();
    const tamperedBody = body.replace('"r1"', '"r2"');
    expect(
      verifyRotatorSignature({ rawBody: tamperedBody, timestamp, signature, signingKey: key, now }),
    ).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    const flipped = `${signature!.slice(0, -1)}${signature!.endsWith('0') ? '1' : '0'}`;
    expect(
      verifyRotatorSignature({ rawBody: body, timestamp, signature: flipped, signingKey: key, now }),
    ).toEqual({ ok: false, reason: 'bad-signature' });
    // Moving the timestamp invalidates the signature (it is signed).
    expect(
      verifyRotatorSignature({
        rawBody: body,
        timestamp: String(nowSeconds - 1),
        signature,
        signingKey: key,
        now,
      }),
    ).toEqual({ ok: false, reason: 'bad-signature' });
    expect(
      verifyRotatorSignature({ rawBody: body, timestamp, signature, signingKey: `${key}x`, now }),
    ).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('calls missing or malformed headers malformed', () => {
    const { timestamp, signature } = signed();
    const cases = [
      { timestamp: undefined, signature },
      { timestamp: 'yesterday', signature },
      { timestamp: '-5', signature },
      { timestamp, signature: undefined },
      { timestamp, signature: 'sha256=abc' },
      { timestamp, signature: 'v1=xyz' },
      { timestamp, signature: `v0=${'a'.repeat(64)}` },
    ];
    for (const headers of cases) {
      expect(verifyRotatorSignature({ rawBody: body, ...headers, signingKey: key, now })).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  it('accepts any of several v1 signatures (signing key rollover)', () => {
    const { timestamp, signature } = signed();
    const other = `v1=${'0'.repeat(64)}`;
    expect(
      verifyRotatorSignature({
        rawBody: body,
        timestamp,
        signature: `${other}, ${signature}`,
        signingKey: key,
        now,
      }),
    ).toEqual({ ok: true });
  });
});
