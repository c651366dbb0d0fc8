/**
 * `qwen`: a human creates a Model Studio (DashScope) API key in the key's region; the rotator checks its
 * `sk-` shape, then `GET {baseUrl}/models` in compatible mode with the key as bearer, before promoting
 * it, and asks a human to delete the old one after a compromise. A key of another region is rejected by
 * the endpoint (401), which is what a client in that region would see.
 */
import type { CredentialProvider } from '../../rotation/ports.js';
import type { ManualHttpDeps } from '../openai-compatible/manual.js';
import { createBearerKeyProvider } from '../openai-compatible/provider.js';
import {
  QWEN_BASE_URLS,
  QWEN_DASHBOARD_URLS,
  QWEN_REGION_NAMES,
  type QwenSettings,
  qwenSettingsSchema,
} from './settings.js';

/** DashScope keys are `sk-` and 32 hex characters; the check allows other lengths and letters. */
export const QWEN_KEY_FORMAT = {
  pattern: /^sk-[A-Za-z0-9]{16,}$/,
  describe: "'sk-' followed by letters and digits",
};

export function createQwenProvider(deps: ManualHttpDeps = {}): CredentialProvider<QwenSettings> {
  return createBearerKeyProvider(
    {
      kind: 'qwen',
      label: 'Qwen (Model Studio)',
      noun: 'Model Studio API key',
      settingsSchema: qwenSettingsSchema,
      defaultBaseUrl: (settings) => QWEN_BASE_URLS[settings.region],
      keyFormat: QWEN_KEY_FORMAT,
      instructions: (settings) => ({
        dashboardUrl: QWEN_DASHBOARD_URLS[settings.region],
        steps: [
          `Sign in to the Alibaba Cloud Model Studio console in the ${QWEN_REGION_NAMES[settings.region]} region (keys only work in their own region).`,
          'Open API Key (Key Management), click "Create API Key" in the workspace the consumers use, and copy the key.',
        ],
      }),
      revokeHow: 'delete it on the API Key page of the Model Studio console',
    },
    deps,
  );
}
