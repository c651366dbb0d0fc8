/**
 * The tests every bearer-key (OpenAI-compatible) provider runs against the emulator's data plane, plus the
 * provider contract's manual branch (imported only by tests): valid, revoked, malformed (no call made),
 * 5xx, 429 with Retry-After, timeouts, refused connections, a wrong base URL, manual instructions, revoke
 * handing work to a human, and a scan for leaked keys.
 */
import { describe, expect, it } from 'vitest';
import type { CredentialProvider } from '../../rotation/ports.js';
import { describeProviderContract } from '../contract.js';
import { leaked } from '../shared/testing.js';
import type { EmulatedManualKind } from './local.js';
import type { ManualHttpDeps } from './manual.js';
import { closedLoopbackPort, type ManualEmulator, manualContext, useManualEmulator } from './testing.js';

type BearerKind = Extract<EmulatedManualKind, 'together-ai' | 'groq' | 'deepseek' | 'qwen'>;

export interface BearerSuiteInput {
  kind: BearerKind;
  create(deps: ManualHttpDeps): CredentialProvider<unknown>;
  /** Data-plane path of the models call under the emulator origin. */
  modelsPath: string;
  /** Values the format check must refuse without calling out. */
  malformed: string[];
  /** Part of the provider's own 401 message, as the reason must carry it. */
  deniedMessage: RegExp;
  dashboardUrl: string;
  /** e.g. `Groq API key`. */
  noun: string;
}

export function describeBearerKeyProvider(input: BearerSuiteInput): void {
  const emu = useManualEmulator();
  const provider = (e: ManualEmulator, extra: ManualHttpDeps = {}) =>
    input.create({ dataPlane: e.dataPlane, ...extra });
  const context = (e: ManualEmulator, settings: Record<string, unknown> = {}) => {
    const p = provider(e);
    const parsed = p.settingsSchema.parse({ baseUrl: e.baseUrl(input.kind), timeoutSeconds: 2, ...settings });
    return manualContext(input.kind, parsed);
  };
  const credential = (value: string) => ({ value, credentialId: 'gen-1' });

  describeProviderContract(
    input.kind,
    { mode: 'manual', retrieve: false, revoke: true, humanMinted: true },
    () => {
      const e = emu.current;
      return {
        provider: provider(e, { baseUrl: e.baseUrl(input.kind) }),
        settings: { timeoutSeconds: 5 },
        seed: (world, group) => {
          const value = e.mint(input.kind).value;
          for (const secret of group.secrets) {
            world.store.seed(group.vault, secret.name, { value, tags: { CredentialId: 'gen-1' } });
          }
        },
        isLive: async (_world, _group, c) =>
          e.emulator.control.dataPlanes.isValid(input.kind, input.kind, c.value),
        mint: () => credential(e.mint(input.kind).value),
        revokeAtProvider: (c) => {
          e.revoke(input.kind, c.value);
        },
      };
    },
  );

  describe(`${input.kind} validation against the emulator`, () => {
    it('accepts a live key with one models call, rejects it once revoked with the provider’s message', async () => {
      const e = emu.current;
      const { ctx, log } = context(e);
      const key = e.mint(input.kind).value;
      const before = e.calls(input.modelsPath);
      expect(await provider(e).validate(ctx, credential(key))).toEqual({ ok: true });
      expect(e.calls(input.modelsPath)).toBe(before + 1);

      e.revoke(input.kind, key);
      const revoked = await provider(e).validate(ctx, credential(key));
      expect(revoked).toMatchObject({ ok: false, outcome: 'rejected' });
      if (revoked.ok) throw new Error('expected a rejection');
      expect(revoked.reason).toMatch(/HTTP 401/);
      expect(revoked.reason).toMatch(input.deniedMessage);
      expect(leaked([revoked, log.lines], [key])).toEqual([]);
    });

    it('refuses malformed keys before calling out', async () => {
      const e = emu.current;
      const { ctx } = context(e);
      const good = e.mint(input.kind).value;
      const before = e.calls(input.modelsPath);
      for (const value of [...input.malformed, ` ${good}`, `${good}\n`, '']) {
        const result = await provider(e).validate(ctx, credential(value));
        expect(result, JSON.stringify(value)).toMatchObject({ ok: false, outcome: 'rejected' });
        if (value.length > 4) expect(leaked(result, [value.trim()])).toEqual([]);
      }
      expect(e.calls(input.modelsPath)).toBe(before);
    });

    it('reads 5xx and 429 as unavailable, keeping Retry-After', async () => {
      const e = emu.current;
      const { ctx } = context(e);
      const key = e.mint(input.kind).value;
      e.fault(input.modelsPath, { kind: 'error', status: 503 }, 1);
      expect(await provider(e).validate(ctx, credential(key))).toMatchObject({
        ok: false,
        outcome: 'unavailable',
        reason: expect.stringContaining('HTTP 503'),
      });
      e.fault(input.modelsPath, { kind: 'throttle', retryAfterSeconds: 7 }, 1);
      expect(await provider(e).validate(ctx, credential(key))).toMatchObject({
        ok: false,
        outcome: 'unavailable',
        retryAfterSeconds: 7,
      });
      expect(await provider(e).validate(ctx, credential(key))).toEqual({ ok: true });
    });

    it('gives up after the per-call timeout from settings, and on a refused connection', async () => {
      const e = emu.current;
      const { ctx } = context(e, { timeoutSeconds: 0.3 });
      const key = e.mint(input.kind).value;
      e.fault(input.modelsPath, { kind: 'timeout' }, 1);
      const started = Date.now();
      expect(await provider(e).validate(ctx, credential(key))).toMatchObject({
        ok: false,
        outcome: 'unavailable',
        reason: expect.stringContaining('no answer within 300 ms'),
      });
      expect(Date.now() - started).toBeLessThan(3000);

      const port = await closedLoopbackPort();
      const refused = context(e, { baseUrl: `https://127.0.0.1:${port}/v1` });
      expect(await provider(e).validate(refused.ctx, credential(key))).toMatchObject({
        ok: false,
        outcome: 'unavailable',
        reason: expect.stringContaining('ECONNREFUSED'),
      });
    });

    it('reads a wrong base URL as unavailable, not as a bad key', async () => {
      const e = emu.current;
      const { ctx } = context(e, { baseUrl: `${e.emulator.origin}/nowhere/v1` });
      const result = await provider(e).validate(ctx, credential(e.mint(input.kind).value));
      expect(result).toMatchObject({
        ok: false,
        outcome: 'unavailable',
        reason: expect.stringContaining('baseUrl'),
      });
    });

    it('lets the composition root’s baseUrl win over the settings (local mode)', async () => {
      const e = emu.current;
      const port = await closedLoopbackPort();
      const { ctx } = context(e, { baseUrl: `https://127.0.0.1:${port}/v1` });
      const local = provider(e, { baseUrl: e.baseUrl(input.kind) });
      expect(await local.validate(ctx, credential(e.mint(input.kind).value))).toEqual({ ok: true });
    });
  });

  describe(`${input.kind} manual steps`, () => {
    it('asks a human, with the dashboard and the hint of the key in use, never its value', async () => {
      const e = emu.current;
      const { ctx } = context(e);
      const current = e.mint(input.kind).value;
      const result = await provider(e).issue(ctx, {
        value: current,
        version: 'v-current',
        credentialId: 'gen-1',
        tags: {},
      });
      expect(result).toMatchObject({ kind: 'manual', dashboardUrl: input.dashboardUrl });
      if (result.kind !== 'manual') throw new Error('expected manual');
      expect(result.instructions).toContain(input.noun);
      expect(result.instructions).toContain(`…${current.slice(-4)}`);
      expect(result.instructions).not.toContain(current);
    });

    it('revoke names the old key by its last 4 characters and version, and revokes nothing itself', async () => {
      const e = emu.current;
      const { ctx, store } = context(e);
      const old = e.mint(input.kind).value;
      const version = store.seed(ctx.group.vault, 'app-key', { value: old });
      const result = await provider(e).revoke!(ctx, { credentialId: 'gen-1', version: version.version });
      expect(result.revoked).toEqual([]);
      expect(result.pendingHuman).toHaveLength(1);
      expect(result.pendingHuman[0]).toContain(`${input.noun} ending …${old.slice(-4)}`);
      expect(result.pendingHuman[0]).toContain(version.version);
      expect(leaked(result, [old])).toEqual([]);
      expect(e.emulator.control.dataPlanes.isValid(input.kind, input.kind, old)).toBe(true);
    });
  });

  describe(`${input.kind} settings`, () => {
    it('accepts https and loopback http base URLs, refuses plain http elsewhere and unknown settings', () => {
      const schema = input.create({}).settingsSchema;
      expect(schema.safeParse({}).success).toBe(true);
      expect(schema.safeParse({ baseUrl: 'https://proxy.example.com/v1', timeoutSeconds: 2.5 }).success).toBe(
        true,
      );
      expect(schema.safeParse({ baseUrl: 'http://127.0.0.1:8080/v1' }).success).toBe(true);
      expect(schema.safeParse({ baseUrl: 'http://proxy.example.com/v1' }).success).toBe(false);
      expect(schema.safeParse({ baseUrl: 'https://user:pw@proxy.example.com/v1' }).success).toBe(false);
      expect(schema.safeParse({ timeoutSeconds: 0 }).success).toBe(false);
      expect(schema.safeParse({ timeout: 5 }).success).toBe(false);
    });
  });
}
