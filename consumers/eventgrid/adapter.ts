/** Event Grid custom-topic consumer: publishes `KeyVaultRotator.RotationCompleted`, one event per secret. */
import { RotationError } from '../../rotation/errors.js';
import { requireHttpUrl } from '../http.js';
import {
  type EventGridConsumerConfig,
  eventGridConsumerSchema,
  type ResolveSetting,
  type SettingValueInput,
} from '../settings.js';
import type { ConsumerAdapter } from '../types.js';
import { type RotatorEventGridEvent, rotationEvents } from './events.js';
import type { EventGridClientFactory } from './publisher.js';

export interface EventGridDeps {
  resolveSetting: ResolveSetting;
  eventGrid: EventGridClientFactory;
}

/** Publishes a batch to a topic; returns a detail line. */
export async function publishEvents(
  deps: EventGridDeps,
  endpoint: SettingValueInput,
  accessKey: SettingValueInput,
  events: RotatorEventGridEvent[],
): Promise<string> {
  if (events.length === 0) {
    throw new RotationError('BadRequest', 'nothing to publish: the run names no secrets');
  }
  const url = requireHttpUrl(await deps.resolveSetting(endpoint), 'Event Grid endpoint');
  const key = await deps.resolveSetting(accessKey);
  const client = await deps.eventGrid(url, key);
  await client.send(events);
  return `published ${events.length} event${events.length === 1 ? '' : 's'} to Event Grid`;
}

export function createEventGridConsumer(deps: EventGridDeps): ConsumerAdapter<EventGridConsumerConfig> {
  return {
    kind: 'eventgrid',
    schema: eventGridConsumerSchema,
    deliver: (config, delivery) =>
      publishEvents(deps, config.endpoint, config.accessKey, rotationEvents(delivery.message)),
  };
}
