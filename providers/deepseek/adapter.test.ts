import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeBearerKeyProvider } from '../openai-compatible/bearer-suite.js';
import { modelsUrl } from '../openai-compatible/models.js';
import { createDeepSeekProvider, DEEPSEEK_BASE_URL, DEEPSEEK_DASHBOARD_URL } from './index.js';

/** Key-shaped but generated per run: never a literal that looks like a real key. */
const hex32 = randomBytes(16).toString('hex');

describeBearerKeyProvider({
  kind: 'deepseek',
  create: createDeepSeekProvider,
  modelsPath: '/deepseek/models',
  malformed: [`gsk_${hex32}`, 'sk-short', `sk_${hex32}`],
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
