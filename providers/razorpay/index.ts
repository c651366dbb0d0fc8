export { createRazorpayProvider } from './adapter.js';
export {
  KEY_ID_PATTERN,
  KEY_SECRET_PATTERN,
  keyMode,
  type PairResolution,
  type RazorpayPair,
  razorpayCredential,
  resolvePair,
  splitPair,
} from './pair.js';
export {
  RAZORPAY_BASE_URL,
  RAZORPAY_DASHBOARD_URL,
  RAZORPAY_PARTS,
  type RazorpayPart,
  type RazorpaySettings,
  razorpaySettingsSchema,
} from './settings.js';
