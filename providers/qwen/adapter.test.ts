import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeBearerKeyProvider } from '../openai-compatible/bearer-suite.js';
import { modelsUrl } from '../openai-compatible/models.js';
import { manualContext } from '../openai-compatible/testing.js';
import { createQwenProvider, QWEN_BASE_URLS, QWEN_DASHBOARD_URLS, qwenSettingsSchema } from './index.js';

/** Key-shaped but generated per run: never a literal that looks like a real key. */
const hex32 = randomBytes(16).toString('hex');

describeBearerKeyProvider({
  kind: 'qwen',
  create: createQwenProvider,
  modelsPath: '/qwen/compatible-mode/v1/models',
  malformed: [`gsk_${hex32}`, 'sk-', `dashscope-${hex32}`],
  deniedMessage: /Incorrect API key provided/,
  dashboardUrl: QWEN_DASHBOARD_URLS.intl,
  noun: 'Model Studio API key',
});

describe('qwen regions', () => {
  it('defaults to the Singapore compatible-mode endpoint and picks the region’s endpoint', () => {
    expect(qwenSettingsSchema.parse({})).toEqual({ region: 'intl' });
    expect(modelsUrl(QWEN_BASE_URLS.intl).href).toBe(
      'https://dashscope-intl.aliyuncs.com/compatible-mode/v1/models',
    );
    expect(modelsUrl(QWEN_BASE_URLS.cn).href).toBe(
      'https://dashscope.aliyuncs.com/compatible-mode/v1/models',
    );
    expect(qwenSettingsSchema.safeParse({ region: 'eu' }).success).toBe(false);
  });

  it('tells the human which region’s console to use', async () => {
    const provider = createQwenProvider();
    const { ctx } = manualContext('qwen', qwenSettingsSchema.parse({ region: 'cn' }));
    const result = await provider.issue(ctx, undefined);
    expect(result).toMatchObject({ kind: 'manual', dashboardUrl: QWEN_DASHBOARD_URLS.cn });
    expect(result.kind === 'manual' && result.instructions).toContain('China (Beijing)');
  });
});
