/** Formats an alert for one channel type and sends it (one attempt). */
import type { Alert } from '../../rotation/ports.js';
import { postChat } from '../chat/adapter.js';
import { chatForAlert } from '../chat/message.js';
import { publishEvents } from '../eventgrid/adapter.js';
import { alertEvents } from '../eventgrid/events.js';
import type { EventGridClientFactory } from '../eventgrid/publisher.js';
import type { RotationEventType } from '../message.js';
import type { ChannelConfig, ResolveSetting } from '../settings.js';
import { sendSignedWebhook } from '../webhook/adapter.js';

/** Alert kinds → webhook `type`. */
export const ALERT_WEBHOOK_TYPES = {
  'run-succeeded': 'rotation.completed',
  'run-failed': 'rotation.failed',
  'manual-action-required': 'rotation.manual-action-required',
  'propagation-failed': 'rotation.propagation-failed',
  'poison-message': 'rotation.poison-message',
  'secret-expired': 'rotation.secret-expired',
  'invalid-value-reverted': 'rotation.invalid-value-reverted',
  'rotation-paused': 'rotation.paused',
  digest: 'rotation.digest',
} as const satisfies Record<Alert['kind'], RotationEventType>;

/** JSON body of an alert webhook. */
export interface AlertWebhookBody {
  id: string;
  type: RotationEventType;
  kind: Alert['kind'];
  severity: Alert['severity'];
  title: string;
  text: string;
  runId: string | null;
  vault: string | null;
  secrets: string[];
  occurredAt: string;
}

export function alertWebhookBody(alert: Alert, id: string, occurredAt: string): AlertWebhookBody {
  return {
    id,
    type: ALERT_WEBHOOK_TYPES[alert.kind],
    kind: alert.kind,
    severity: alert.severity,
    title: alert.title,
    text: alert.text,
    runId: alert.runId ?? null,
    vault: alert.vault ?? null,
    secrets: alert.secrets ?? [],
    occurredAt,
  };
}

export interface ChannelSendDeps {
  resolveSetting: ResolveSetting;
  eventGrid: EventGridClientFactory;
  requestTimeoutMs: number;
  wallClockSeconds?: () => number;
}

/** `id` is stable across retries of one alert so receivers can de-duplicate. */
export function sendToChannel(
  deps: ChannelSendDeps,
  config: ChannelConfig,
  alert: Alert,
  id: string,
  occurredAt: Date,
): Promise<string> {
  const at = occurredAt.toISOString();
  switch (config.type) {
    case 'teams':
    case 'slack':
      return postChat(deps, config.type, config.url, chatForAlert(alert, at));
    case 'webhook':
      return sendSignedWebhook(deps, {
        url: config.url,
        signingKey: config.signingKey,
        body: alertWebhookBody(alert, id, at),
      });
    case 'eventgrid':
      return publishEvents(deps, config.endpoint, config.accessKey, alertEvents(alert, id, occurredAt));
  }
}
