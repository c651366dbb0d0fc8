export { createQwenProvider, QWEN_KEY_FORMAT } from './adapter.js';
export {
  QWEN_BASE_URLS,
  QWEN_DASHBOARD_URLS,
  QWEN_REGION_NAMES,
  QWEN_REGIONS,
  type QwenRegion,
  type QwenSettings,
  qwenSettingsSchema,
} from './settings.js';
