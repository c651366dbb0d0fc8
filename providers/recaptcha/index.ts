export {
  classifySiteverify,
  createRecaptchaProvider,
  PROBE_RESPONSE_TOKEN,
  RECAPTCHA_SECRET_FORMAT,
} from './adapter.js';
export {
  RECAPTCHA_BASE_URL,
  RECAPTCHA_DASHBOARD_URL,
  type RecaptchaSettings,
  recaptchaSettingsSchema,
} from './settings.js';
