export { createEventGridConsumer, type EventGridDeps, publishEvents } from './adapter.js';
export {
  ALERT_EVENT_TYPES,
  alertEvents,
  DATA_VERSION,
  EVENT_TYPES,
  type RotatorEventGridEvent,
  rotationEvents,
  secretSubject,
} from './events.js';
export {
  createSdkEventGridClientFactory,
  type EventGridClientFactory,
  type EventGridSender,
  type SdkEventGridOptions,
} from './publisher.js';
