/**
 * `together-ai`: a human creates the key in Together's settings; the rotator checks its shape, then
 * `GET {baseUrl}/models` with the key as bearer (Together answers a bare array of models), before
 * promoting it, and asks a human to delete the old one after a compromise.
 */
import type { CredentialProvider } from '../../rotation/ports.js';
import type { ManualHttpDeps } from '../openai-compatible/manual.js';
import { createBearerKeyProvider } from '../openai-compatible/provider.js';
import {
  TOGETHER_BASE_URL,
  TOGETHER_DASHBOARD_URL,
  type TogetherAiSettings,
  togetherAiSettingsSchema,
} from './settings.js';

/** Together keys: 64 hex characters (older accounts) or `tgp_v1_…` (newer). */
export const TOGETHER_KEY_FORMAT = {
  pattern: /^(?:[0-9a-fA-F]{64}|tgp_[A-Za-z0-9_-]{20,})$/,
  describe: "64 hex characters or a 'tgp_v1_' key",
};

export function createTogetherAiProvider(deps: ManualHttpDeps = {}): CredentialProvider<TogetherAiSettings> {
  return createBearerKeyProvider(
    {
      kind: 'together-ai',
      label: 'Together AI',
      settingsSchema: togetherAiSettingsSchema,
      defaultBaseUrl: () => TOGETHER_BASE_URL,
      keyFormat: TOGETHER_KEY_FORMAT,
      instructions: () => ({
        dashboardUrl: TOGETHER_DASHBOARD_URL,
        steps: [
          'Sign in to Together AI and open Settings → API Keys.',
          'Create a new API key and copy it. If the account offers only "Regenerate", know that it kills the old key at once: every consumer fails until the new key is promoted and propagated.',
        ],
      }),
      revokeHow: 'delete (or regenerate) it under Settings → API Keys in Together AI',
    },
    deps,
  );
}
