import { describe, expect, it } from 'vitest';
import type { MintedCredential } from '../../local/emulator/dataplanes/index.js';
import { describeProviderContract } from '../contract.js';
import {
  closedLoopbackPort,
  type ManualEmulator,
  manualContext,
  useManualEmulator,
} from '../openai-compatible/testing.js';
import { leaked } from '../shared/testing.js';
import {
  createRazorpayProvider,
  RAZORPAY_DASHBOARD_URL,
  type RazorpayPair,
  razorpayCredential,
  razorpaySettingsSchema,
  splitPair,
} from './index.js';

const emu = useManualEmulator();
const PAYMENTS = '/razorpay/v1/payments';
const TWO_PARTS = [
  { name: 'rzp-key-id', part: 'keyId' },
  { name: 'rzp-key-secret', part: 'keySecret' },
];

const pairOf = (minted: MintedCredential): RazorpayPair => ({
  keyId: minted.keyId!,
  keySecret: minted.keySecret!,
});
const provider = (e: ManualEmulator) =>
  createRazorpayProvider({ dataPlane: e.dataPlane, baseUrl: e.baseUrl('razorpay') });
function context(
  settings: Record<string, unknown> = {},
  secrets: (string | { name: string; part?: string })[] = TWO_PARTS,
) {
  return manualContext('razorpay', razorpaySettingsSchema.parse({ timeoutSeconds: 2, ...settings }), secrets);
}
function spoilSecret(pair: RazorpayPair): RazorpayPair {
  const last = pair.keySecret.at(-1) === 'A' ? 'B' : 'A';
  return { ...pair, keySecret: `${pair.keySecret.slice(0, -1)}${last}` };
}

describeProviderContract(
  'razorpay',
  { mode: 'manual', retrieve: false, revoke: true, humanMinted: true },
  () => {
    const e = emu.current;
    return {
      provider: provider(e),
      settings: { mode: 'test' },
      seed: (world, group) => {
        const value = e.mint('razorpay').value;
        for (const secret of group.secrets)
          world.store.seed(group.vault, secret.name, { value, tags: { CredentialId: 'gen-1' } });
      },
      isLive: async (_w, _g, c) => e.emulator.control.dataPlanes.isValid('razorpay', 'razorpay', c.value),
      mint: () => razorpayCredential(pairOf(e.mint('razorpay')), 'gen-2'),
      spoil: (c) => razorpayCredential(spoilSecret(splitPair(c.value)!), c.credentialId),
      revokeAtProvider: (c) => {
        e.revoke('razorpay', c.value);
      },
    };
  },
);

describe('razorpay validation against the emulator', () => {
  it('checks key id and secret together with basic auth: parts, one pair value, or a lone part plus Key Vault', async () => {
    const e = emu.current;
    const { ctx, store, log } = context();
    const pair = pairOf(e.mint('razorpay'));
    const before = e.calls(PAYMENTS);
    expect(await provider(e).validate(ctx, razorpayCredential(pair, 'gen-2', 'keySecret'))).toEqual({
      ok: true,
    });
    expect(await provider(e).validate(ctx, razorpayCredential(pair, 'gen-2', 'keyId'))).toEqual({ ok: true });
    expect(await provider(e).validate(ctx, razorpayCredential(pair, 'gen-2'))).toEqual({ ok: true });
    expect(
      await provider(e).validate(ctx, { value: `${pair.keyId}:${pair.keySecret}`, credentialId: 'g' }),
    ).toEqual({
      ok: true,
    });
    expect(e.calls(PAYMENTS)).toBe(before + 4);

    // Only the secret submitted: the key id comes from the group's keyId secret.
    store.seed(ctx.group.vault, 'rzp-key-id', { value: pair.keyId });
    expect(await provider(e).validate(ctx, { value: pair.keySecret, credentialId: 'g' })).toEqual({
      ok: true,
    });
    // …and when Razorpay issued a new pair, the reason says to submit both parts.
    const fresh = pairOf(e.mint('razorpay'));
    const borrowed = await provider(e).validate(ctx, { value: fresh.keySecret, credentialId: 'g' });
    expect(borrowed).toMatchObject({
      ok: false,
      outcome: 'rejected',
      reason: expect.stringContaining('submit both parts'),
    });
    expect(leaked([borrowed, log.lines], [pair.keySecret, fresh.keySecret])).toEqual([]);
  });

  it('rejects a mixed pair and a revoked key with Razorpay’s message, never echoing the secret', async () => {
    const e = emu.current;
    const { ctx } = context();
    const a = pairOf(e.mint('razorpay'));
    const b = pairOf(e.mint('razorpay'));
    const mixed = await provider(e).validate(
      ctx,
      razorpayCredential({ keyId: a.keyId, keySecret: b.keySecret }, 'g'),
    );
    expect(mixed).toMatchObject({
      ok: false,
      outcome: 'rejected',
      reason: expect.stringContaining('The api key provided is invalid'),
    });
    e.revoke('razorpay', `${a.keyId}:${a.keySecret}`);
    const revoked = await provider(e).validate(ctx, razorpayCredential(a, 'g', 'keySecret'));
    expect(revoked).toMatchObject({
      ok: false,
      outcome: 'rejected',
      reason: expect.stringContaining('HTTP 401'),
    });
    expect(
      leaked(
        [mixed, revoked],
        [a.keySecret, b.keySecret, Buffer.from(`${a.keyId}:${a.keySecret}`).toString('base64')],
      ),
    ).toEqual([]);
  });

  it('refuses malformed pairs, inconsistent parts and the wrong key mode without calling out', async () => {
    const e = emu.current;
    const pair = pairOf(e.mint('razorpay'));
    const before = e.calls(PAYMENTS);
    const { ctx } = context();
    const cases = [
      razorpayCredential(
        { keyId: pair.keyId.replace('rzp_test_', 'rzp_prod_'), keySecret: pair.keySecret },
        'g',
      ),
      razorpayCredential({ keyId: pair.keyId, keySecret: `${pair.keySecret.slice(0, 10)}-!` }, 'g'),
      razorpayCredential({ keyId: pair.keyId, keySecret: ` ${pair.keySecret}` }, 'g', 'keyId'),
      { value: 'something-else', credentialId: 'g', parts: { keyId: pair.keyId, keySecret: pair.keySecret } },
    ];
    for (const c of cases)
      expect(await provider(e).validate(ctx, c)).toMatchObject({ ok: false, outcome: 'rejected' });
    const single = context({}, ['rzp']);
    expect(await provider(e).validate(single.ctx, { value: pair.keyId, credentialId: 'g' })).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining('only the key id was given'),
    });
    const live = context({ mode: 'live' });
    expect(await provider(e).validate(live.ctx, razorpayCredential(pair, 'g'))).toMatchObject({
      outcome: 'rejected',
      reason: 'this is a test mode key; the group holds live mode keys',
    });
    expect(e.calls(PAYMENTS)).toBe(before);
  });

  it('reads 5xx, 429, timeouts and refused connections as unavailable', async () => {
    const e = emu.current;
    const pair = pairOf(e.mint('razorpay'));
    const { ctx } = context({ timeoutSeconds: 0.3 });
    e.fault(PAYMENTS, { kind: 'error', status: 500 }, 1);
    expect(await provider(e).validate(ctx, razorpayCredential(pair, 'g'))).toMatchObject({
      outcome: 'unavailable',
      reason: expect.stringContaining('HTTP 500'),
    });
    e.fault(PAYMENTS, { kind: 'throttle', retryAfterSeconds: 3 }, 1);
    expect(await provider(e).validate(ctx, razorpayCredential(pair, 'g'))).toMatchObject({
      outcome: 'unavailable',
      retryAfterSeconds: 3,
    });
    e.fault(PAYMENTS, { kind: 'timeout' }, 1);
    expect(await provider(e).validate(ctx, razorpayCredential(pair, 'g'))).toMatchObject({
      outcome: 'unavailable',
      reason: expect.stringContaining('no answer within 300 ms'),
    });
    const port = await closedLoopbackPort();
    const refused = createRazorpayProvider({ dataPlane: e.dataPlane, baseUrl: `https://127.0.0.1:${port}` });
    expect(await refused.validate(ctx, razorpayCredential(pair, 'g'))).toMatchObject({
      outcome: 'unavailable',
    });
    expect(await provider(e).validate(ctx, razorpayCredential(pair, 'g'))).toEqual({ ok: true });
  });
});

describe('razorpay manual steps', () => {
  it('asks for Regenerate Key in the right mode, with a 24-hour deactivation, and both parts', async () => {
    const e = emu.current;
    const { ctx } = context();
    const current = e.mint('razorpay');
    const result = await provider(e).issue(ctx, {
      value: current.keyId!,
      version: 'v1',
      credentialId: 'gen-1',
      tags: {},
    });
    expect(result).toMatchObject({ kind: 'manual', dashboardUrl: RAZORPAY_DASHBOARD_URL });
    const text = result.kind === 'manual' ? result.instructions : '';
    for (const needle of [
      'Test Mode',
      'Account & Settings → API Keys',
      'Regenerate Key',
      '24 hours',
      'keyId, keySecret',
    ]) {
      expect(text).toContain(needle);
    }
    expect(leaked(result, [current.keySecret!])).toEqual([]);
  });

  it('revoke names the key id of the old pair (found through the RotationId tag) and revokes nothing', async () => {
    const e = emu.current;
    const secretFirst = [TWO_PARTS[1]!, TWO_PARTS[0]!];
    const { ctx, store } = context({}, secretFirst);
    const old = pairOf(e.mint('razorpay'));
    store.seed(ctx.group.vault, 'rzp-key-id', { value: old.keyId, tags: { RotationId: 'run-1' } });
    const oldSecret = store.seed(ctx.group.vault, 'rzp-key-secret', {
      value: old.keySecret,
      tags: { RotationId: 'run-1' },
    });
    const next = pairOf(e.mint('razorpay'));
    store.seed(ctx.group.vault, 'rzp-key-id', { value: next.keyId, tags: { RotationId: 'run-2' } });
    store.seed(ctx.group.vault, 'rzp-key-secret', { value: next.keySecret, tags: { RotationId: 'run-2' } });

    const result = await provider(e).revoke!(ctx, { credentialId: 'gen-1', version: oldSecret.version });
    expect(result.revoked).toEqual([]);
    expect(result.pendingHuman[0]).toContain(`Razorpay key id rzp_test_…${old.keyId.slice(-4)}`);
    expect(result.pendingHuman[0]).toContain(oldSecret.version);
    expect(leaked(result, [old.keySecret, old.keyId])).toEqual([]);
    expect(
      e.emulator.control.dataPlanes.isValid('razorpay', 'razorpay', `${old.keyId}:${old.keySecret}`),
    ).toBe(true);
  });
});
