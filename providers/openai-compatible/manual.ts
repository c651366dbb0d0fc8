/**
 * What every manual provider shares (a human mints the key in a dashboard; the rotator validates, promotes
 * and propagates it): key hints, format checks that run before any call, the human's instructions, and
 * `revoke`, which can only hand the old key to a human — naming it by its last 4 characters, never more.
 * Used by the bearer-key providers here and by razorpay, recaptcha and mongodb.
 */
import { z } from 'zod';
import type {
  CurrentCredential,
  IssueResult,
  ProviderContext,
  RevokeResult,
  SecretVersion,
  ValidationResult,
} from '../../rotation/ports.js';
import { type DataPlaneOptions, DEFAULT_CHECK_TIMEOUT_MS } from './http.js';

/**
 * What the composition root gives a manual provider that checks over HTTPS.
 *
 * - `dataPlane`: TLS trust for the check (`ca`: the local emulator's CA, per request; or an `agent`) and a
 *   default per-call timeout (`timeoutMs`) for groups whose settings give no `timeoutSeconds`.
 * - `baseUrl`: replaces both the settings' and the built-in base URL. Local mode points it at the
 *   emulator's path for the provider (e.g. `${origin}/groq/openai/v1`), so nothing leaves the machine
 *   whatever `rotation.json` says; leave it unset in Azure.
 */
export interface ManualHttpDeps {
  dataPlane?: DataPlaneOptions;
  baseUrl?: string;
}

/** Last 4 characters, what provider dashboards show; `****` for values too short to hint at safely. */
export function keyHint(value: string): string {
  return value.length < 12 ? '****' : value.slice(-4);
}

/** `localhost`, `127.x.x.x` or `::1` (brackets allowed). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** `https://` base URL; plain `http://` only on loopback (a key must never cross a network in clear). */
export const baseUrlSchema = z
  .url({ protocol: /^https?$/ })
  .refine((value) => new URL(value).protocol === 'https:' || isLoopbackHost(new URL(value).hostname), {
    message: 'must be https (plain http only on loopback)',
  })
  .refine((value) => !new URL(value).username && !new URL(value).password, {
    message: 'must not carry credentials',
  })
  .refine((value) => !new URL(value).search && !new URL(value).hash, {
    message: 'must not have a query or fragment',
  });

/** Settings every HTTPS-checked manual provider accepts. */
export const httpCheckSettingsShape = {
  /** Overrides the provider's default API base URL (a proxy, another region, a test server). */
  baseUrl: baseUrlSchema.optional().describe("API base URL (default: the provider's public endpoint)"),
  /** Per-call timeout of the validation call, in seconds (default 10). */
  timeoutSeconds: z
    .number()
    .positive()
    .max(120)
    .optional()
    .describe('Per-call timeout in seconds (default 10)'),
};

/** Timeout of one check: the group's setting, else the composition root's default, else 10 s. */
export function checkTimeoutMs(
  settings: { timeoutSeconds?: number | undefined },
  deps: ManualHttpDeps,
): number {
  if (settings.timeoutSeconds !== undefined) return Math.round(settings.timeoutSeconds * 1000);
  return deps.dataPlane?.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
}

export function rejected(reason: string): ValidationResult {
  return { ok: false, outcome: 'rejected', reason };
}

export function unavailable(reason: string, retryAfterSeconds?: number): ValidationResult {
  return {
    ok: false,
    outcome: 'unavailable',
    reason,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
}

/**
 * Checks run before anything is sent: empty values, stray whitespace (a paste slip that would break every
 * consumer) and the provider's key shape. The reason describes the expected shape, never the value.
 */
export function checkKeyFormat(
  value: string,
  format: { pattern: RegExp; describe: string; label: string },
): ValidationResult | undefined {
  if (value.length === 0) return rejected(`the ${format.label} is empty`);
  if (value.trim() !== value) {
    return rejected(`the ${format.label} has leading or trailing whitespace (a copy-paste slip?)`);
  }
  if (!format.pattern.test(value)) {
    return rejected(`this is not a ${format.label}: expected ${format.describe}`);
  }
  return undefined;
}

export interface ManualInstructions {
  /** e.g. `Groq API key`. */
  noun: string;
  /** Ordered steps in the provider's dashboard. */
  steps: string[];
  dashboardUrl: string;
  /** What happens to the old key (default: delete it once consumers run on the new one). */
  afterwards?: string;
}

/** The `manual` issue result: the steps, plus the hint of the key Key Vault serves now. */
export function manualIssue(spec: ManualInstructions, current: CurrentCredential | undefined): IssueResult {
  const numbered = spec.steps.map((step, i) => `${i + 1}. ${step}`).join(' ');
  const now = current
    ? ` Key Vault serves the ${spec.noun} ending …${keyHint(current.value)} (version ${current.version}) now.`
    : '';
  const afterwards =
    spec.afterwards ??
    `Keep the old ${spec.noun} until every consumer runs on the new one, then delete it in the dashboard.`;
  return {
    kind: 'manual',
    instructions: `Create a new ${spec.noun}: ${numbered}${now} ${afterwards}`,
    dashboardUrl: spec.dashboardUrl,
  };
}

/** The version a revoke is about, from the group's first secret (the one the engine shows providers). */
export async function revokedVersion<S>(
  ctx: ProviderContext<S>,
  version: string,
): Promise<SecretVersion | undefined> {
  const primary = ctx.group.secrets[0];
  if (!primary) return undefined;
  return ctx.secrets.getVersion(ctx.group.vault, primary.name, version);
}

/** `revoke` for a manual provider: nothing revoked here, one line of work for a human. */
export function pendingHuman(text: string): RevokeResult {
  return { revoked: [], pendingHuman: [text] };
}

/**
 * The usual manual `revoke`: "<noun> ending …abcd (Key Vault version v): <how>". Reads the old value from
 * Key Vault only to take its last 4 characters.
 */
export async function revokeByHint<S>(
  ctx: ProviderContext<S>,
  credential: { credentialId: string | undefined; version: string },
  noun: string,
  how: string,
): Promise<RevokeResult> {
  const old = await revokedVersion(ctx, credential.version);
  const id = credential.credentialId ? `, credential ${credential.credentialId}` : '';
  const what = old
    ? `${noun} ending …${keyHint(old.value)} (Key Vault version ${credential.version}${id})`
    : `the ${noun} of Key Vault version ${credential.version}${id}`;
  return pendingHuman(`revoke ${what}: ${how}`);
}
