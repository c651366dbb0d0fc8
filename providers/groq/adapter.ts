/**
 * `groq`: Groq has no API to mint keys, so a human creates one in the Groq console; the rotator checks it
 * (`gsk_` shape, then `GET {baseUrl}/models` with the key as bearer) before promoting it, and asks a human
 * to delete the old one after a compromise.
 */
import type { CredentialProvider } from '../../rotation/ports.js';
import type { ManualHttpDeps } from '../openai-compatible/manual.js';
import { createBearerKeyProvider } from '../openai-compatible/provider.js';
import { GROQ_BASE_URL, GROQ_DASHBOARD_URL, type GroqSettings, groqSettingsSchema } from './settings.js';

/** Groq keys are `gsk_` and 52 letters or digits; the check allows other lengths. */
export const GROQ_KEY_FORMAT = {
  pattern: /^gsk_[A-Za-z0-9]{20,}$/,
  describe: "'gsk_' followed by letters and digits",
};

export function createGroqProvider(deps: ManualHttpDeps = {}): CredentialProvider<GroqSettings> {
  return createBearerKeyProvider(
    {
      kind: 'groq',
      label: 'Groq',
      settingsSchema: groqSettingsSchema,
      defaultBaseUrl: () => GROQ_BASE_URL,
      keyFormat: GROQ_KEY_FORMAT,
      instructions: () => ({
        dashboardUrl: GROQ_DASHBOARD_URL,
        steps: [
          'Sign in to the Groq console and open the API Keys page.',
          'Click "Create API Key", name it after the Key Vault secret, and copy the key (Groq shows it only once).',
        ],
      }),
      revokeHow: 'delete it on the API Keys page of the Groq console',
    },
    deps,
  );
}
