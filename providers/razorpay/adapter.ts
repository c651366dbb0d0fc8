/**
 * `razorpay`: Razorpay has no API to mint API keys, so a human regenerates the pair in the Dashboard; the
 * rotator checks the key id and key secret together — `GET {baseUrl}/v1/payments?count=1` with HTTP basic
 * auth, a read that changes nothing — before promoting them, and asks a human to deactivate the old key
 * after a compromise. How the pair is passed (one `key_id:key_secret` secret, or two secrets with `part`
 * `keyId`/`keySecret` and `IssuedCredential.parts`) is described in `pair.ts`.
 */
import type {
  CredentialProvider,
  IssuedCredential,
  ProviderContext,
  RevokeResult,
  ValidationResult,
} from '../../rotation/ports.js';
import { httpCheck, providerMessage, trimBaseUrl } from '../openai-compatible/http.js';
import {
  checkKeyFormat,
  checkTimeoutMs,
  keyHint,
  type ManualHttpDeps,
  manualIssue,
  pendingHuman,
  rejected,
  revokedVersion,
  unavailable,
} from '../openai-compatible/manual.js';
import {
  KEY_ID_PATTERN,
  KEY_SECRET_PATTERN,
  keyMode,
  type RazorpayPair,
  resolvePair,
  splitPair,
} from './pair.js';
import {
  RAZORPAY_BASE_URL,
  RAZORPAY_DASHBOARD_URL,
  type RazorpaySettings,
  razorpaySettingsSchema,
} from './settings.js';

function formatProblem(pair: RazorpayPair, settings: RazorpaySettings): ValidationResult | undefined {
  const keyId = checkKeyFormat(pair.keyId, {
    pattern: KEY_ID_PATTERN,
    describe: "'rzp_test_' or 'rzp_live_' followed by letters and digits",
    label: 'Razorpay key id',
  });
  if (keyId) return keyId;
  const secret = checkKeyFormat(pair.keySecret, {
    pattern: KEY_SECRET_PATTERN,
    describe: 'letters and digits (24 today)',
    label: 'Razorpay key secret',
  });
  if (secret) return secret;
  const mode = keyMode(pair.keyId);
  if (settings.mode !== undefined && mode !== settings.mode) {
    return rejected(`this is a ${mode} mode key; the group holds ${settings.mode} mode keys`);
  }
  return undefined;
}

async function checkPair(
  pair: RazorpayPair,
  ctx: ProviderContext<RazorpaySettings>,
  deps: ManualHttpDeps,
): Promise<ValidationResult> {
  const base = trimBaseUrl(deps.baseUrl ?? ctx.settings.baseUrl ?? RAZORPAY_BASE_URL);
  const basic = Buffer.from(`${pair.keyId}:${pair.keySecret}`, 'utf8').toString('base64');
  const outcome = await httpCheck(
    {
      method: 'GET',
      url: new URL(`${base}/v1/payments?count=1`),
      headers: { authorization: `Basic ${basic}` },
    },
    {
      dataPlane: deps.dataPlane,
      timeoutMs: checkTimeoutMs(ctx.settings, deps),
      now: ctx.clock.now(),
      signal: ctx.signal,
    },
  );
  const what = 'Razorpay payments call';
  if (outcome.kind === 'failed') return unavailable(`${what}: ${outcome.why}`);
  const { status, body, retryAfterSeconds } = outcome;
  if (status >= 200 && status < 300) return { ok: true };
  if (status === 401 || status === 403) {
    const message = providerMessage(body, [pair.keySecret, `${pair.keyId}:${pair.keySecret}`]);
    return rejected(`Razorpay rejected the key pair (HTTP ${status}${message ? `: ${message}` : ''})`);
  }
  if (status === 429 || status >= 500)
    return unavailable(`${what} unavailable (HTTP ${status})`, retryAfterSeconds);
  return unavailable(
    `${what} answered HTTP ${status}; cannot tell whether the key works (check the baseUrl setting)`,
  );
}

/** The key id of the version being revoked: from its own value, or from the key id secret of the same rotation. */
async function revokedKeyId(
  ctx: ProviderContext<RazorpaySettings>,
  version: string,
): Promise<{ keyId?: string; secretHint?: string }> {
  const old = await revokedVersion(ctx, version);
  if (!old) return {};
  const pair = splitPair(old.value);
  if (pair) return { keyId: pair.keyId };
  if (KEY_ID_PATTERN.test(old.value)) return { keyId: old.value };
  const holder = ctx.group.secrets.find((s) => s.part === 'keyId');
  if (holder) {
    // The key id written alongside: same RotationId tag, else the newest version not newer than this one.
    const rotationId = old.tags.RotationId;
    let match: { value: string; created: number } | undefined;
    for await (const v of ctx.secrets.listVersions(ctx.group.vault, holder.name)) {
      const created = v.createdOn?.getTime() ?? 0;
      const sameRun = rotationId !== undefined && v.tags.RotationId === rotationId;
      const before = created <= (old.createdOn?.getTime() ?? Number.POSITIVE_INFINITY);
      if (!sameRun && !before) continue;
      if (sameRun || !match || created > match.created) {
        const full = await ctx.secrets.getVersion(ctx.group.vault, holder.name, v.version);
        if (full) match = { value: full.value, created: sameRun ? Number.POSITIVE_INFINITY : created };
      }
    }
    if (match && KEY_ID_PATTERN.test(match.value)) return { keyId: match.value };
  }
  return { secretHint: keyHint(old.value) };
}

export function createRazorpayProvider(deps: ManualHttpDeps = {}): CredentialProvider<RazorpaySettings> {
  return {
    kind: 'razorpay',
    mode: 'manual',
    settingsSchema: razorpaySettingsSchema,
    revokePolicy: 'on-compromise',

    async issue(ctx, current) {
      const mode =
        ctx.settings.mode ??
        (current ? keyMode(splitPair(current.value)?.keyId ?? current.value) : undefined);
      const parts = ctx.group.secrets.some((s) => s.part !== undefined);
      return manualIssue(
        {
          noun: 'Razorpay API key',
          dashboardUrl: RAZORPAY_DASHBOARD_URL,
          steps: [
            `Sign in to the Razorpay Dashboard and switch to ${mode ? `${mode === 'live' ? 'Live' : 'Test'} Mode` : 'the mode of this key (Test or Live)'}.`,
            'Open Account & Settings → API Keys (under Website and app settings) and click "Regenerate Key" (confirm with the OTP).',
            'When asked, deactivate the old key in 24 hours, not immediately, so consumers keep working until the new pair is propagated.',
            parts
              ? 'Copy both the Key Id and the Key Secret (the secret is shown only once) and submit each to the secret holding that part (keyId, keySecret).'
              : "Copy both the Key Id and the Key Secret (the secret is shown only once) and submit them together as 'key_id:key_secret'.",
          ],
          afterwards: 'Razorpay deactivates the old key when the chosen delay ends.',
        },
        current,
      );
    },

    async validate(ctx, credential: IssuedCredential) {
      const resolved = await resolvePair(ctx, credential);
      if ('problem' in resolved) return rejected(resolved.problem);
      const problem = formatProblem(resolved.pair, ctx.settings);
      if (problem) return problem;
      const result = await checkPair(resolved.pair, ctx, deps);
      if (!result.ok && result.outcome === 'rejected' && resolved.borrowed) {
        return rejected(
          `${result.reason}; the missing part came from secret ${resolved.borrowed} — if Razorpay issued a new pair, submit both parts`,
        );
      }
      return result;
    },

    async revoke(ctx, credential): Promise<RevokeResult> {
      const { keyId, secretHint } = await revokedKeyId(ctx, credential.version);
      const id = credential.credentialId ? `, credential ${credential.credentialId}` : '';
      const what = keyId
        ? `Razorpay key id ${keyId.slice(0, keyId.lastIndexOf('_') + 1)}…${keyHint(keyId)}`
        : secretHint
          ? `the Razorpay key whose secret ends …${secretHint}`
          : 'the previous Razorpay key';
      return pendingHuman(
        `revoke ${what} (Key Vault version ${credential.version}${id}): check under Account & Settings → ` +
          'API Keys that it is deactivated (after a compromise, deactivate the old key immediately when regenerating)',
      );
    },
  };
}
