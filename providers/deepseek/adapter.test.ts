import { describe, expect, it } from 'vitest';
import { describeBearerKeyProvider } from '../openai-compatible/bearer-suite.js';
import { modelsUrl } from '../openai-compatible/models.js';
import { createDeepSeekProvider, DEEPSEEK_BASE_URL, DEEPSEEK_DASHBOARD_URL } from './index.js';

describeBearerKeyProvider({
  kind: 'deepseek',
  create: createDeepSeekProvider,
  modelsPath: '/deepseek/models',
  malformed: ['gsk_0123456789abcdef0123456789abcdef', 'sk-short', 'sk_0123456789abcdef0123456789abcdef'],
  // DeepSeek names the key by its last 4 characters only: that hint may stay in the reason.
  deniedMessage: /Authentication Fails, Your api key: \*{4}\w{4} is invalid/,
  dashboardUrl: DEEPSEEK_DASHBOARD_URL,
  noun: 'DeepSeek API key',
});

describe('deepseek defaults', () => {
  it('calls the public models endpoint (no /v1 in the base URL)', () => {
    expect(modelsUrl(DEEPSEEK_BASE_URL).href).toBe('https://api.deepseek.com/models');
  });
});
