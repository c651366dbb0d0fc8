export type { DataPlaneOptions } from '../shared/http-probe.js';
export {
  type CognitiveCredentialId,
  type CognitiveServicesProviderDeps,
  cognitiveServicesRoleHint,
  createCognitiveServicesProvider,
} from './adapter.js';
export type {
  CognitiveAccountInfo,
  CognitiveKeyName,
  CognitiveKeys,
} from './client.js';
export {
  type CognitiveKeysClient,
  type CognitiveServicesSdkClient,
  cognitiveKeysClientFromSdk,
  cognitiveKeysClients,
} from './client.js';
export {
  COGNITIVE_SERVICES_TYPE,
  type CognitiveServicesSettings,
  cognitiveServicesSettingsSchema,
} from './settings.js';
