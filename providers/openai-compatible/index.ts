export {
  type DataPlaneOptions,
  DEFAULT_CHECK_TIMEOUT_MS,
  type HttpCheckOptions,
  type HttpCheckOutcome,
  type HttpCheckRequest,
  httpCheck,
  MAX_CHECK_BODY_BYTES,
  parseJsonBody,
  providerMessage,
  redactSecrets,
  trimBaseUrl,
} from './http.js';
export {
  EMULATED_MANUAL_KINDS,
  EMULATOR_BASE_PATHS,
  type EmulatedManualKind,
  emulatorBaseUrl,
} from './local.js';
export {
  baseUrlSchema,
  checkKeyFormat,
  checkTimeoutMs,
  httpCheckSettingsShape,
  isLoopbackHost,
  keyHint,
  type ManualHttpDeps,
  type ManualInstructions,
  manualIssue,
  pendingHuman,
  rejected,
  revokeByHint,
  revokedVersion,
  unavailable,
} from './manual.js';
export { type BearerModelsCheck, checkBearerModels, modelsUrl } from './models.js';
export { type BearerKeySettings, type BearerKeySpec, createBearerKeyProvider } from './provider.js';
