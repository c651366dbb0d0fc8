export type { DataPlaneOptions } from '../shared/http-probe.js';
export {
  type CommunicationProviderDeps,
  communicationKeyOf,
  communicationRoleHint,
  createCommunicationProvider,
} from './adapter.js';
export {
  type CommunicationKeys,
  type CommunicationKeysClient,
  type CommunicationKeyType,
  type CommunicationResourceInfo,
  type CommunicationSdkClient,
  communicationKeysClientFromSdk,
  communicationKeysClients,
} from './client.js';
export { COMMUNICATION_TYPE, type CommunicationSettings, communicationSettingsSchema } from './settings.js';
