/**
 * The local Azure emulator: Key Vault secrets (one origin per vault), ARM, provider data planes, Event Grid
 * delivery of Key Vault events, and a control API — real Azure SDK clients talk to it over HTTPS.
 */
export type {
  DeclaredResource,
  ResourceDeclaration,
} from './arm/index.js';
export type { AdvanceBy, EmulatorControl, EmulatorState, VaultEndpoint } from './control/control.js';
export type { Clock } from './core/clock.js';
export type { FaultAction, FaultRule, FaultRuleInput } from './core/faults.js';
export { HttpError } from './core/http-error.js';
export type { RequestListener, RequestLogEntry, RequestLogFilter } from './core/request-log.js';
export { type RunningEmulator, type StartEmulatorOptions, startEmulator } from './emulator.js';
export type {
  DeliveryOptions,
  DeliveryRecord,
  EventSubscription,
  SubscriptionInput,
} from './events/delivery.js';
export {
  type EventGridEvent,
  KEY_VAULT_EVENT_TYPES,
  type KeyVaultEventData,
  type KeyVaultEventType,
} from './events/keyvault-events.js';
export { LOCAL_TENANT_ID } from './keyvault/routes.js';
export type { VaultStoreSnapshot } from './keyvault/store.js';
export type { TopicDeclaration, TopicInfo } from './topics/index.js';
