/** Builds one adapter per consumer kind from shared dependencies. */
import { createAppServiceConsumer } from './app-service/adapter.js';
import type { RestartCoalescer } from './app-service/coalescer.js';
import { createSlackConsumer, createTeamsConsumer } from './chat/adapter.js';
import { createEventGridConsumer } from './eventgrid/adapter.js';
import type { EventGridClientFactory } from './eventgrid/publisher.js';
import type { DeliveryTiming, Sleep } from './retry.js';
import type { ResolveSetting } from './settings.js';
import type { ConsumerRegistry } from './types.js';
import { createWebhookConsumer } from './webhook/adapter.js';

export interface ConsumerRegistryDeps {
  coalescer: RestartCoalescer;
  eventGrid: EventGridClientFactory;
  resolveSetting: ResolveSetting;
  timing: DeliveryTiming;
  sleep: Sleep;
  wallClockSeconds?: () => number;
  monotonicNow?: () => number;
}

export function createConsumerRegistry(deps: ConsumerRegistryDeps): ConsumerRegistry {
  const http = { resolveSetting: deps.resolveSetting, requestTimeoutMs: deps.timing.requestTimeoutMs };
  return {
    'app-service': createAppServiceConsumer({
      coalescer: deps.coalescer,
      resolveSetting: deps.resolveSetting,
      timing: deps.timing,
      sleep: deps.sleep,
      ...(deps.monotonicNow === undefined ? {} : { monotonicNow: deps.monotonicNow }),
    }),
    webhook: createWebhookConsumer({
      ...http,
      ...(deps.wallClockSeconds === undefined ? {} : { wallClockSeconds: deps.wallClockSeconds }),
    }),
    eventgrid: createEventGridConsumer({ resolveSetting: deps.resolveSetting, eventGrid: deps.eventGrid }),
    teams: createTeamsConsumer(http),
    slack: createSlackConsumer(http),
  } satisfies ConsumerRegistry;
}
