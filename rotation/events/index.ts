/** Key Vault secret events from Event Grid: parsing only (the trigger enqueues runs). */
export { MAX_EVENTS_PER_DELIVERY, parseKeyVaultDelivery } from './delivery.js';
export { parseSingleEvent } from './parse.js';
export {
  EVENT_REJECTION_REASONS,
  type EventParseResult,
  type EventRejection,
  type EventRejectionReason,
  type HeaderSource,
  type KeyVaultDelivery,
  type KeyVaultSecretEvent,
  SECRET_EVENT_TYPES,
  type SecretEventType,
} from './types.js';
