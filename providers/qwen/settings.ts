/**
 * Settings of `qwen`: Alibaba Cloud Model Studio (DashScope) in OpenAI-compatible mode, checked with a
 * models call. API keys belong to one region; `region` picks the matching endpoint, `baseUrl` overrides it.
 */
import { z } from 'zod';
import { httpCheckSettingsShape } from '../openai-compatible/manual.js';

export const QWEN_REGIONS = ['intl', 'us', 'cn'] as const;
export type QwenRegion = (typeof QWEN_REGIONS)[number];

/** Compatible-mode base URLs by region: Singapore (`intl`), US (Virginia), China (Beijing). */
export const QWEN_BASE_URLS: Record<QwenRegion, string> = {
  intl: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1',
  us: 'https://dashscope-us.aliyuncs.com/compatible-mode/v1',
  cn: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
};

/** Model Studio consoles: the international site serves Singapore and US keys, the China site Beijing's. */
export const QWEN_DASHBOARD_URLS: Record<QwenRegion, string> = {
  intl: 'https://modelstudio.console.alibabacloud.com/',
  us: 'https://modelstudio.console.alibabacloud.com/',
  cn: 'https://bailian.console.aliyun.com/',
};

export const QWEN_REGION_NAMES: Record<QwenRegion, string> = {
  intl: 'Singapore',
  us: 'US (Virginia)',
  cn: 'China (Beijing)',
};

export const qwenSettingsSchema = z.strictObject({
  region: z
    .enum(QWEN_REGIONS)
    .default('intl')
    .describe('Model Studio region of the key (default intl: Singapore)'),
  ...httpCheckSettingsShape,
});

export type QwenSettings = z.infer<typeof qwenSettingsSchema>;
