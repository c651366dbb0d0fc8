/**
 * The `Notifier` port. Routes an alert to its channels, formats it per channel type, and delivers to every
 * channel in parallel with its own retries. Every targeted channel yields a recorded delivery; a delivery
 * that fails for good is also logged at error level with the alert kind and run id — an alert is never
 * dropped silently. Channel settings given as `{ secretRef }` are resolved per attempt and never logged.
 */
import { randomUUID } from 'node:crypto';
import type { Alert, AlertDelivery, Clock, Logger, Notifier } from '../../rotation/ports.js';
import type { EventGridClientFactory } from '../eventgrid/publisher.js';
import {
  type DeliveryTiming,
  failureText,
  realSleep,
  resolveTiming,
  type Sleep,
  withRetry,
} from '../retry.js';
import {
  type ChannelConfig,
  type ChannelConfigInput,
  channelConfigSchema,
  formatIssues,
  type ResolveSetting,
} from '../settings.js';
import { sendToChannel } from './deliver.js';
import { routeAlert } from './routing.js';

export interface NotifierDeps {
  /** `rotation.json` → `channels`, by name (parsed here; an invalid entry fails its deliveries loudly). */
  channels: Readonly<Record<string, ChannelConfigInput>>;
  /** Channels every alert goes to (subject to their `events` filter), besides the alert's own. */
  globalChannels?: readonly string[];
  resolveSetting: ResolveSetting;
  eventGrid: EventGridClientFactory;
  clock: Clock;
  log: Logger;
  timing?: Partial<DeliveryTiming>;
  sleep?: Sleep;
  wallClockSeconds?: () => number;
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const timing = resolveTiming(deps.timing);
  const sleep = deps.sleep ?? realSleep;
  const channels: Record<string, ChannelConfig> = {};
  const invalid = new Map<string, string>();
  for (const [name, raw] of Object.entries(deps.channels)) {
    const parsed = channelConfigSchema.safeParse(raw);
    if (parsed.success) channels[name] = parsed.data;
    else invalid.set(name, `invalid channel config: ${formatIssues(parsed.error)}`);
  }
  const sendDeps = {
    resolveSetting: deps.resolveSetting,
    eventGrid: deps.eventGrid,
    requestTimeoutMs: timing.requestTimeoutMs,
    ...(deps.wallClockSeconds === undefined ? {} : { wallClockSeconds: deps.wallClockSeconds }),
  };

  function failed(alert: Alert, channel: string, attempts: number, error: string): AlertDelivery {
    deps.log.error('alert not delivered', {
      kind: alert.kind,
      runId: alert.runId,
      channel,
      attempts,
      error,
      title: alert.title,
    });
    return { channel, status: 'failed', attempts, at: deps.clock.now().toISOString(), error };
  }

  async function deliverOne(alert: Alert, name: string, config: ChannelConfig, id: string, occurredAt: Date) {
    const result = await withRetry(() => sendToChannel(sendDeps, config, alert, id, occurredAt), {
      policy: timing.retry,
      sleep,
      onRetry: ({ attempt, error, delayMs }) =>
        deps.log.warn('alert delivery failed, retrying', {
          kind: alert.kind,
          runId: alert.runId,
          channel: name,
          attempt,
          delayMs,
          error: failureText(error),
        }),
    });
    if (!result.ok) return failed(alert, name, result.attempts, failureText(result.error));
    const delivery: AlertDelivery = {
      channel: name,
      status: 'sent',
      attempts: result.attempts,
      at: deps.clock.now().toISOString(),
    };
    deps.log.info('alert delivered', {
      kind: alert.kind,
      runId: alert.runId,
      channel: name,
      attempts: result.attempts,
    });
    return delivery;
  }

  return {
    async send(alert) {
      const occurredAt = deps.clock.now();
      const id = randomUUID();
      const routed = routeAlert(alert, channels, deps.globalChannels ?? []).map((route) =>
        route.config === undefined && invalid.has(route.name)
          ? { ...route, problem: invalid.get(route.name) ?? route.problem }
          : route,
      );
      if (routed.length === 0) {
        const fields = { kind: alert.kind, runId: alert.runId, title: alert.title };
        if (alert.severity === 'info') deps.log.info('alert matched no channel', fields);
        else deps.log.error('alert matched no channel', fields);
        return [];
      }
      return Promise.all(
        routed.map((route) =>
          route.config === undefined
            ? failed(alert, route.name, 0, route.problem)
            : deliverOne(alert, route.name, route.config, id, occurredAt).catch((error: unknown) =>
                failed(alert, route.name, 0, failureText(error)),
              ),
        ),
      );
    },
  };
}
