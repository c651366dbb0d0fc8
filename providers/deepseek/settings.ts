/** Settings of `deepseek`: DeepSeek's OpenAI-compatible API, checked with a models call. */
import { z } from 'zod';
import { httpCheckSettingsShape } from '../openai-compatible/manual.js';

export const DEEPSEEK_BASE_URL = 'https://api.deepseek.com';
export const DEEPSEEK_DASHBOARD_URL = 'https://platform.deepseek.com/api_keys';

export const deepseekSettingsSchema = z.strictObject({ ...httpCheckSettingsShape });

export type DeepSeekSettings = z.infer<typeof deepseekSettingsSchema>;
