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
} from './client.js';
export { COMMUNICATION_TYPE, type CommunicationSettings, communicationSettingsSchema } from './settings.js';
