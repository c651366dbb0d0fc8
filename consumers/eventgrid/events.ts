/**
 * Event Grid events the rotator publishes (Event Grid schema). Subjects are `/vaults/<vault>/secrets/<name>`
 * so subscriptions can filter by vault or secret with `subjectBeginsWith`; one event per secret of a group.
 * Data carries names, versions and ids — never a value.
 */
import type { Alert, AlertKind } from '../../rotation/ports.js';
import type { RotationMessage } from '../message.js';

export const EVENT_TYPES = {
  completed: 'KeyVaultRotator.RotationCompleted',
  failed: 'KeyVaultRotator.RotationFailed',
  manualActionRequired: 'KeyVaultRotator.ManualActionRequired',
} as const;

/** Alert kinds → event types; the three above, plus one type per other alert kind. */
export const ALERT_EVENT_TYPES = {
  'run-succeeded': EVENT_TYPES.completed,
  'run-failed': EVENT_TYPES.failed,
  'manual-action-required': EVENT_TYPES.manualActionRequired,
  'propagation-failed': 'KeyVaultRotator.PropagationFailed',
  'poison-message': 'KeyVaultRotator.PoisonMessage',
  'secret-expired': 'KeyVaultRotator.SecretExpired',
  'invalid-value-reverted': 'KeyVaultRotator.InvalidValueReverted',
  'rotation-paused': 'KeyVaultRotator.RotationPaused',
  digest: 'KeyVaultRotator.Digest',
} as const satisfies Record<AlertKind, string>;

export const DATA_VERSION = '1.0';

/** Structurally what `EventGridPublisherClient<'EventGrid'>.send` accepts. */
export interface RotatorEventGridEvent {
  id: string;
  eventType: string;
  subject: string;
  eventTime: Date;
  dataVersion: string;
  data: Record<string, unknown>;
}

export function secretSubject(vault: string, secret: string): string {
  return `/vaults/${vault}/secrets/${secret}`;
}

export function rotationEvents(message: RotationMessage): RotatorEventGridEvent[] {
  const eventTime = new Date(message.occurredAt);
  return message.secrets.map((secret, index) => ({
    id: `${message.id}-${index}`,
    eventType: EVENT_TYPES.completed,
    subject: secretSubject(message.vault, secret),
    eventTime,
    dataVersion: DATA_VERSION,
    data: {
      runId: message.runId,
      vault: message.vault,
      secret,
      secrets: message.secrets,
      group: message.group,
      newVersion: message.newVersions[secret] ?? null,
      newVersions: message.newVersions,
      credentialId: message.credentialId,
      status: message.status,
      compromised: message.compromised,
    },
  }));
}

export function alertEvents(alert: Alert, id: string, occurredAt: Date): RotatorEventGridEvent[] {
  const data = {
    kind: alert.kind,
    severity: alert.severity,
    title: alert.title,
    text: alert.text,
    runId: alert.runId ?? null,
    vault: alert.vault ?? null,
    secrets: alert.secrets ?? [],
  };
  const base = { eventType: ALERT_EVENT_TYPES[alert.kind], eventTime: occurredAt, dataVersion: DATA_VERSION };
  const secrets = alert.secrets ?? [];
  if (alert.vault === undefined || secrets.length === 0) {
    const subject = alert.vault === undefined ? '/rotator' : `/vaults/${alert.vault}`;
    return [{ ...base, id, subject, data }];
  }
  const vault = alert.vault;
  return secrets.map((secret, index) => ({
    ...base,
    id: `${id}-${index}`,
    subject: secretSubject(vault, secret),
    data: { ...data, secret },
  }));
}
