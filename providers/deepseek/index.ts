export { createDeepSeekProvider, DEEPSEEK_KEY_FORMAT } from './adapter.js';
export {
  DEEPSEEK_BASE_URL,
  DEEPSEEK_DASHBOARD_URL,
  type DeepSeekSettings,
  deepseekSettingsSchema,
} from './settings.js';
