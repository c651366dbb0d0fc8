/**
 * `recaptcha`: a reCAPTCHA secret key cannot be minted through an API, so a human creates it; the
 * rotator checks it the way a site's backend does — `POST {baseUrl}/recaptcha/api/siteverify` with
 * `secret=<key>&response=<a token that is not genuine>`. Google checks the secret before the token:
 *
 * - `invalid-input-secret` / `missing-input-secret` among `error-codes` → rejected (the secret is bad);
 * - `success: false` with only `invalid-input-response` / `missing-input-response` / `timeout-or-duplicate`
 *   → ok (the secret was accepted; our dummy token was not, as expected); `success: true` → ok;
 * - anything else (`bad-request`, unknown codes, a non-JSON page), 429, 5xx, timeouts → unavailable.
 *
 * A reCAPTCHA secret belongs to its site key: rotating it means a new key pair (or "Regenerate" where
 * Google's console offers it for the legacy secret), and the new site key must go live on the pages too.
 */
import type { CredentialProvider, ValidationResult } from '../../rotation/ports.js';
import { httpCheck, parseJsonBody, trimBaseUrl } from '../openai-compatible/http.js';
import {
  checkKeyFormat,
  checkTimeoutMs,
  type ManualHttpDeps,
  manualIssue,
  rejected,
  revokeByHint,
  unavailable,
} from '../openai-compatible/manual.js';
import {
  RECAPTCHA_BASE_URL,
  RECAPTCHA_DASHBOARD_URL,
  type RecaptchaSettings,
  recaptchaSettingsSchema,
} from './settings.js';

/** Classic secret keys: 40 characters starting with `6L`. */
export const RECAPTCHA_SECRET_FORMAT = {
  pattern: /^6L[A-Za-z0-9_-]{38}$/,
  describe: "40 characters starting with '6L'",
};

/** The `response` we send: never a genuine token, so a good secret yields `invalid-input-response`. */
export const PROBE_RESPONSE_TOKEN = 'key-vault-rotator-secret-check';

const SECRET_ERRORS = new Set(['invalid-input-secret', 'missing-input-secret']);
/** Codes that mean the secret passed and only the token failed. */
const TOKEN_ERRORS = new Set(['invalid-input-response', 'missing-input-response', 'timeout-or-duplicate']);

function safeCodes(codes: string[]): string {
  // Codes are short identifiers; anything else is cut so no echoed input can ride along.
  return codes.map((c) => (/^[a-z-]{1,40}$/.test(c) ? c : '(unexpected)')).join(', ');
}

/** Maps a siteverify answer body to a validation result (see the module comment). */
export function classifySiteverify(body: string): ValidationResult {
  const json = parseJsonBody(body);
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    return unavailable('siteverify did not answer JSON; check the baseUrl setting');
  }
  const answer = json as { success?: unknown; 'error-codes'?: unknown };
  const codes = Array.isArray(answer['error-codes'])
    ? answer['error-codes'].filter((c): c is string => typeof c === 'string')
    : [];
  if (codes.some((c) => SECRET_ERRORS.has(c))) {
    return rejected(`reCAPTCHA rejected the secret key (siteverify: ${safeCodes(codes)})`);
  }
  if (answer.success === true) return { ok: true };
  if (codes.length > 0 && codes.every((c) => TOKEN_ERRORS.has(c))) return { ok: true };
  return unavailable(
    `siteverify answered without judging the secret (${codes.length > 0 ? safeCodes(codes) : 'no error codes'})`,
  );
}

export function createRecaptchaProvider(deps: ManualHttpDeps = {}): CredentialProvider<RecaptchaSettings> {
  return {
    kind: 'recaptcha',
    mode: 'manual',
    settingsSchema: recaptchaSettingsSchema,
    revokePolicy: 'on-compromise',

    async issue(_ctx, current) {
      return manualIssue(
        {
          noun: 'reCAPTCHA secret key',
          dashboardUrl: RECAPTCHA_DASHBOARD_URL,
          steps: [
            'A reCAPTCHA secret belongs to its site key, so rotating it means a new key pair: in the reCAPTCHA admin console (or Google Cloud console → Security → reCAPTCHA for keys migrated to Google Cloud) create a new key of the same type for the same domains.',
            'Copy its secret key (Google Cloud console: Key details → Integration → legacy secret key). Where the console offers "Regenerate" for the legacy secret of the existing key, Google documents that as an alternative that keeps the site key.',
            'Deploy the new site key to every page that renders the widget at the same time as the new secret is propagated: a token from the old site key fails against the new secret.',
          ],
          afterwards:
            'Delete the old key in the console once no page serves the old site key (Google keeps old keys working until deleted).',
        },
        current,
      );
    },

    async validate(ctx, credential) {
      const format = checkKeyFormat(credential.value, {
        ...RECAPTCHA_SECRET_FORMAT,
        label: 'reCAPTCHA secret key',
      });
      if (format) return format;
      const base = trimBaseUrl(deps.baseUrl ?? ctx.settings.baseUrl ?? RECAPTCHA_BASE_URL);
      const form = new URLSearchParams({
        secret: credential.value,
        response: PROBE_RESPONSE_TOKEN,
      }).toString();
      const outcome = await httpCheck(
        {
          method: 'POST',
          url: new URL(`${base}/recaptcha/api/siteverify`),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form,
        },
        {
          dataPlane: deps.dataPlane,
          timeoutMs: checkTimeoutMs(ctx.settings, deps),
          now: ctx.clock.now(),
          signal: ctx.signal,
        },
      );
      if (outcome.kind === 'failed') return unavailable(`siteverify call: ${outcome.why}`);
      const { status, body, retryAfterSeconds } = outcome;
      if (status >= 200 && status < 300) return classifySiteverify(body);
      if (status === 429 || status >= 500) {
        return unavailable(`siteverify unavailable (HTTP ${status})`, retryAfterSeconds);
      }
      return unavailable(`siteverify answered HTTP ${status}; check the baseUrl setting`);
    },

    async revoke(ctx, credential) {
      return revokeByHint(
        ctx,
        credential,
        'reCAPTCHA secret key',
        'delete the old key (site key and secret) in the reCAPTCHA admin console once no page serves its site key',
      );
    },
  };
}
