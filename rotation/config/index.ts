/** `rotation.json`: schema, loader, credential groups, Microsoft-tag inference. */
export { type LoadConfigOptions, loadConfig, parseConfig } from './load.js';
export { isSecretName, isVaultName, SECRET_NAME_PATTERN, VAULT_NAME_PATTERN } from './names.js';
export {
  ALERT_KINDS,
  type ChannelConfig,
  type ConfigDefaults,
  type ConsumerConfig,
  DEFAULT_CHANNEL_EVENTS,
  DEFAULT_REMINDERS,
  MIN_VALIDITY_DAYS,
  type RotationConfigInput,
  rotationConfigSchema,
  type SecretRef,
} from './schema.js';
export { type InferOptions, inferFromTags, providerForAddress } from './tags.js';
export type { ResolvedConfig } from './types.js';
