/** Settings of `groq`: Groq's OpenAI-compatible API, checked with a models call. */
import { z } from 'zod';
import { httpCheckSettingsShape } from '../openai-compatible/manual.js';

export const GROQ_BASE_URL = 'https://api.groq.com/openai/v1';
export const GROQ_DASHBOARD_URL = 'https://console.groq.com/keys';

export const groqSettingsSchema = z.strictObject({ ...httpCheckSettingsShape });

export type GroqSettings = z.infer<typeof groqSettingsSchema>;
