/**
 * Consumers (restart / notify every service that uses a rotated secret) and alert channels.
 * The composition root wires `createPropagator` and `createNotifier` to the engine's ports.
 */
export * from './alerts/index.js';
export * from './app-service/index.js';
export * from './chat/index.js';
export * from './eventgrid/index.js';
export { buildRotationMessage, type RotationEventType, type RotationMessage } from './message.js';
export { consumerNames, createPropagator, type PropagatorDeps } from './propagator.js';
export { type ConsumerRegistryDeps, createConsumerRegistry } from './registry.js';
export {
  backoffDelay,
  classifyFailure,
  DEFAULT_TIMING,
  type DeliveryTiming,
  FAST_TIMING,
  failureText,
  type RetryPolicy,
  type RetryResult,
  type Sleep,
  withRetry,
} from './retry.js';
export * from './settings.js';
export type { ConsumerAdapter, ConsumerConfigOf, ConsumerDelivery, ConsumerRegistry } from './types.js';
export * from './webhook/index.js';
