/** Settings of `together-ai`: Together AI's OpenAI-compatible API, checked with a models call. */
import { z } from 'zod';
import { httpCheckSettingsShape } from '../openai-compatible/manual.js';

export const TOGETHER_BASE_URL = 'https://api.together.xyz/v1';
export const TOGETHER_DASHBOARD_URL = 'https://api.together.xyz/settings/api-keys';

export const togetherAiSettingsSchema = z.strictObject({ ...httpCheckSettingsShape });

export type TogetherAiSettings = z.infer<typeof togetherAiSettingsSchema>;
