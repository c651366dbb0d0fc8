export { createTogetherAiProvider, TOGETHER_KEY_FORMAT } from './adapter.js';
export {
  TOGETHER_BASE_URL,
  TOGETHER_DASHBOARD_URL,
  type TogetherAiSettings,
  togetherAiSettingsSchema,
} from './settings.js';
