/**
 * A manual provider whose keys are bearer keys of an OpenAI-compatible API. The four LLM providers are
 * this plus their own facts (base URL, key shape, dashboard steps): issue asks a human, validate runs the
 * format check then `GET {baseUrl}/models`, revoke names the old key by its last 4 characters.
 */
import type { ZodType } from 'zod';
import type { ProviderKind } from '../../rotation/kinds.js';
import type { CredentialProvider, CurrentCredential, ProviderContext } from '../../rotation/ports.js';
import {
  checkKeyFormat,
  checkTimeoutMs,
  type ManualHttpDeps,
  type ManualInstructions,
  manualIssue,
  revokeByHint,
} from './manual.js';
import { checkBearerModels } from './models.js';

/** Settings every bearer-key provider has (see `httpCheckSettingsShape`). */
export interface BearerKeySettings {
  baseUrl?: string | undefined;
  timeoutSeconds?: number | undefined;
}

export interface BearerKeySpec<S extends BearerKeySettings> {
  kind: ProviderKind;
  /** Provider name for reasons and instructions, e.g. `Groq`. */
  label: string;
  settingsSchema: ZodType<S>;
  /** The public API base URL for these settings (e.g. by region). */
  defaultBaseUrl(settings: S): string;
  /** What the key is called in instructions and reasons (default `${label} API key`). */
  noun?: string;
  keyFormat: { pattern: RegExp; describe: string };
  instructions(settings: S): Omit<ManualInstructions, 'noun'>;
  /** What the human does with the old key, e.g. "delete it on the API Keys page". */
  revokeHow: string;
}

export function createBearerKeyProvider<S extends BearerKeySettings>(
  spec: BearerKeySpec<S>,
  deps: ManualHttpDeps = {},
): CredentialProvider<S> {
  const noun = spec.noun ?? `${spec.label} API key`;
  return {
    kind: spec.kind,
    mode: 'manual',
    settingsSchema: spec.settingsSchema,
    revokePolicy: 'on-compromise',

    async issue(ctx: ProviderContext<S>, current: CurrentCredential | undefined) {
      return manualIssue({ ...spec.instructions(ctx.settings), noun }, current);
    },

    async validate(ctx, credential) {
      const format = checkKeyFormat(credential.value, { ...spec.keyFormat, label: noun });
      if (format) return format;
      return checkBearerModels({
        label: spec.label,
        baseUrl: deps.baseUrl ?? ctx.settings.baseUrl ?? spec.defaultBaseUrl(ctx.settings),
        key: credential.value,
        timeoutMs: checkTimeoutMs(ctx.settings, deps),
        now: ctx.clock.now(),
        dataPlane: deps.dataPlane,
        signal: ctx.signal,
      });
    },

    async revoke(ctx, credential) {
      return revokeByHint(ctx, credential, noun, spec.revokeHow);
    },
  };
}
