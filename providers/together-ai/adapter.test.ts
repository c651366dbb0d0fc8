import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeBearerKeyProvider } from '../openai-compatible/bearer-suite.js';
import { modelsUrl } from '../openai-compatible/models.js';
import { manualContext } from '../openai-compatible/testing.js';
import { createTogetherAiProvider, TOGETHER_BASE_URL, TOGETHER_DASHBOARD_URL } from './index.js';

/** Key-shaped but generated per run: never a literal that looks like a real key. */
const hex32 = randomBytes(16).toString('hex');

describeBearerKeyProvider({
  kind: 'together-ai',
  create: createTogetherAiProvider,
  modelsPath: '/together/v1/models',
  malformed: ['0123456789abcdef', 'g'.repeat(64), `sk-${hex32}`, 'tgp_v1_short'],
  deniedMessage: /Invalid API key provided/,
  dashboardUrl: TOGETHER_DASHBOARD_URL,
  noun: 'Together AI API key',
});

describe('together-ai defaults', () => {
  it('calls the public models endpoint and accepts both key generations', async () => {
    expect(modelsUrl(TOGETHER_BASE_URL).href).toBe('https://api.together.xyz/v1/models');
    const provider = createTogetherAiProvider({ baseUrl: 'https://127.0.0.1:9/v1' });
    const { ctx } = manualContext('together-ai', provider.settingsSchema.parse({ timeoutSeconds: 0.2 }));
    // Both shapes pass the format check and reach the (unreachable) endpoint: unavailable, not rejected.
    for (const value of ['ab'.repeat(32), `tgp_v1_${'x'.repeat(40)}`]) {
      expect(await provider.validate(ctx, { value, credentialId: 'gen-1' })).toMatchObject({
        outcome: 'unavailable',
      });
    }
  });
});
