import { describe, expect, it } from 'vitest';
import { describeProviderContract } from '../contract.js';
import {
  closedLoopbackPort,
  type ManualEmulator,
  manualContext,
  useManualEmulator,
} from '../openai-compatible/testing.js';
import { leaked } from '../shared/testing.js';
import {
  classifySiteverify,
  createRecaptchaProvider,
  PROBE_RESPONSE_TOKEN,
  RECAPTCHA_DASHBOARD_URL,
  recaptchaSettingsSchema,
} from './index.js';

const emu = useManualEmulator();
const SITEVERIFY = '/recaptcha/api/siteverify';

const provider = (e: ManualEmulator) => createRecaptchaProvider({ dataPlane: e.dataPlane });
const context = (e: ManualEmulator, settings: Record<string, unknown> = {}) =>
  manualContext(
    'recaptcha',
    recaptchaSettingsSchema.parse({ baseUrl: e.baseUrl('recaptcha'), timeoutSeconds: 2, ...settings }),
  );
const credential = (value: string) => ({ value, credentialId: 'gen-1' });

describeProviderContract(
  'recaptcha',
  { mode: 'manual', retrieve: false, revoke: true, humanMinted: true },
  () => {
    const e = emu.current;
    return {
      provider: provider(e),
      settings: { baseUrl: e.baseUrl('recaptcha') },
      seed: (world, group) => {
        const value = e.mint('recaptcha').value;
        for (const secret of group.secrets) world.store.seed(group.vault, secret.name, { value });
      },
      isLive: async (_w, _g, c) => e.emulator.control.dataPlanes.isValid('recaptcha', 'recaptcha', c.value),
      mint: () => credential(e.mint('recaptcha').value),
      revokeAtProvider: (c) => {
        e.revoke('recaptcha', c.value);
      },
    };
  },
);

describe('recaptcha siteverify against the emulator', () => {
  it('accepts a live secret (the dummy token fails), rejects it once revoked', async () => {
    const e = emu.current;
    const { ctx, log } = context(e);
    const secret = e.mint('recaptcha').value;
    const before = e.calls(SITEVERIFY);
    expect(await provider(e).validate(ctx, credential(secret))).toEqual({ ok: true });
    expect(e.calls(SITEVERIFY)).toBe(before + 1);
    e.revoke('recaptcha', secret);
    const revoked = await provider(e).validate(ctx, credential(secret));
    expect(revoked).toEqual({
      ok: false,
      outcome: 'rejected',
      reason: 'reCAPTCHA rejected the secret key (siteverify: invalid-input-secret)',
    });
    expect(leaked([revoked, log.lines], [secret])).toEqual([]);
  });

  it('refuses malformed secrets without calling out', async () => {
    const e = emu.current;
    const { ctx } = context(e);
    const good = e.mint('recaptcha').value;
    const before = e.calls(SITEVERIFY);
    for (const value of [`7L${good.slice(2)}`, good.slice(0, 30), `${good}x`, `${good} `, '']) {
      expect(await provider(e).validate(ctx, credential(value))).toMatchObject({
        ok: false,
        outcome: 'rejected',
      });
    }
    expect(e.calls(SITEVERIFY)).toBe(before);
  });

  it('reads 5xx, 429, timeouts and refused connections as unavailable', async () => {
    const e = emu.current;
    const secret = e.mint('recaptcha').value;
    const { ctx } = context(e, { timeoutSeconds: 0.3 });
    e.fault(SITEVERIFY, { kind: 'error', status: 503 }, 1);
    expect(await provider(e).validate(ctx, credential(secret))).toMatchObject({
      outcome: 'unavailable',
      reason: 'siteverify unavailable (HTTP 503)',
    });
    e.fault(SITEVERIFY, { kind: 'throttle', retryAfterSeconds: 2 }, 1);
    expect(await provider(e).validate(ctx, credential(secret))).toMatchObject({ retryAfterSeconds: 2 });
    e.fault(SITEVERIFY, { kind: 'timeout' }, 1);
    expect(await provider(e).validate(ctx, credential(secret))).toMatchObject({
      outcome: 'unavailable',
      reason: expect.stringContaining('no answer within 300 ms'),
    });
    const port = await closedLoopbackPort();
    const refused = context(e, { baseUrl: `https://127.0.0.1:${port}` });
    expect(await provider(e).validate(refused.ctx, credential(secret))).toMatchObject({
      outcome: 'unavailable',
    });
    expect(await provider(e).validate(ctx, credential(secret))).toEqual({ ok: true });
  });
});

describe('classifySiteverify', () => {
  it.each([
    [{ success: false, 'error-codes': ['invalid-input-response'] }, { ok: true }],
    [{ success: false, 'error-codes': ['missing-input-response'] }, { ok: true }],
    [{ success: false, 'error-codes': ['timeout-or-duplicate'] }, { ok: true }],
    [{ success: true, hostname: 'example.com' }, { ok: true }],
    [{ success: false, 'error-codes': ['invalid-input-secret'] }, { outcome: 'rejected' }],
    [
      { success: false, 'error-codes': ['missing-input-secret', 'invalid-input-response'] },
      { outcome: 'rejected' },
    ],
    [{ success: false, 'error-codes': ['bad-request'] }, { outcome: 'unavailable' }],
    [{ success: false }, { outcome: 'unavailable' }],
    [
      { success: false, 'error-codes': ['invalid-input-response', 'something-new'] },
      { outcome: 'unavailable' },
    ],
  ])('%j → %j', (body, expected) => {
    expect(classifySiteverify(JSON.stringify(body))).toMatchObject(expected);
  });

  it('never repeats an odd error code verbatim, and wants JSON', () => {
    const result = classifySiteverify(
      JSON.stringify({ success: false, 'error-codes': ['echo 6LsecretVALUE'] }),
    );
    expect(JSON.stringify(result)).not.toContain('6LsecretVALUE');
    expect(classifySiteverify('<html>')).toMatchObject({ outcome: 'unavailable' });
    expect(PROBE_RESPONSE_TOKEN).not.toMatch(/^6L/);
  });
});

describe('recaptcha manual steps', () => {
  it('explains that a new secret comes with a new site key (or Regenerate), and where', async () => {
    const e = emu.current;
    const { ctx } = context(e);
    const current = e.mint('recaptcha').value;
    const result = await provider(e).issue(ctx, {
      value: current,
      version: 'v1',
      credentialId: undefined,
      tags: {},
    });
    expect(result).toMatchObject({ kind: 'manual', dashboardUrl: RECAPTCHA_DASHBOARD_URL });
    const text = result.kind === 'manual' ? result.instructions : '';
    expect(text).toContain('new key pair');
    expect(text).toContain('Regenerate');
    expect(text).toContain('site key');
    expect(text).toContain(`…${current.slice(-4)}`);
    expect(text).not.toContain(current);
  });

  it('revoke asks a human to delete the old key by its hint', async () => {
    const e = emu.current;
    const { ctx, store } = context(e);
    const old = e.mint('recaptcha').value;
    const version = store.seed(ctx.group.vault, 'app-key', { value: old });
    const result = await provider(e).revoke!(ctx, { credentialId: undefined, version: version.version });
    expect(result.revoked).toEqual([]);
    expect(result.pendingHuman[0]).toContain(`reCAPTCHA secret key ending …${old.slice(-4)}`);
    expect(leaked(result, [old])).toEqual([]);
  });
});
