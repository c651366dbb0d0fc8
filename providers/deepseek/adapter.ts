/**
 * `deepseek`: a human creates the key on the DeepSeek platform; the rotator checks its `sk-` shape, then
 * `GET {baseUrl}/models` with the key as bearer, before promoting it, and asks a human to delete the old
 * one after a compromise. DeepSeek's 401 text names the key by its last 4 characters only.
 */
import type { CredentialProvider } from '../../rotation/ports.js';
import type { ManualHttpDeps } from '../openai-compatible/manual.js';
import { createBearerKeyProvider } from '../openai-compatible/provider.js';
import {
  DEEPSEEK_BASE_URL,
  DEEPSEEK_DASHBOARD_URL,
  type DeepSeekSettings,
  deepseekSettingsSchema,
} from './settings.js';

/** DeepSeek keys are `sk-` and 32 hex characters; the check allows other lengths and letters. */
export const DEEPSEEK_KEY_FORMAT = {
  pattern: /^sk-[A-Za-z0-9]{16,}$/,
  describe: "'sk-' followed by letters and digits",
};

export function createDeepSeekProvider(deps: ManualHttpDeps = {}): CredentialProvider<DeepSeekSettings> {
  return createBearerKeyProvider(
    {
      kind: 'deepseek',
      label: 'DeepSeek',
      settingsSchema: deepseekSettingsSchema,
      defaultBaseUrl: () => DEEPSEEK_BASE_URL,
      keyFormat: DEEPSEEK_KEY_FORMAT,
      instructions: () => ({
        dashboardUrl: DEEPSEEK_DASHBOARD_URL,
        steps: [
          'Sign in to the DeepSeek platform and open API keys.',
          'Click "Create new API key", name it after the Key Vault secret, and copy the key (it is shown only once).',
        ],
      }),
      revokeHow: 'delete it on the API keys page of the DeepSeek platform',
    },
    deps,
  );
}
