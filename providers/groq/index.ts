export { createGroqProvider, GROQ_KEY_FORMAT } from './adapter.js';
export {
  GROQ_BASE_URL,
  GROQ_DASHBOARD_URL,
  type GroqSettings,
  groqSettingsSchema,
} from './settings.js';
