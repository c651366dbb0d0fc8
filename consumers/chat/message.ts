/**
 * A readable chat message (what rotated, when, the outcome, and what to do), independent of the chat
 * product. `teams.ts` and `slack.ts` render it; the alert notifier and the chat consumer both build one.
 */
import type { Alert } from '../../rotation/ports.js';
import type { RotationMessage } from '../message.js';

export type ChatTone = 'good' | 'info' | 'warning' | 'critical';

export interface ChatMessage {
  title: string;
  tone: ChatTone;
  /** One or two sentences: what happened and the outcome. */
  summary: string;
  facts: { name: string; value: string }[];
  /** What a human should do now; absent when nothing is needed. */
  action?: string;
  /** ISO time the thing happened. */
  occurredAt: string;
}

/** Chat message for a completed propagation (chat consumers). */
export function chatForRotation(message: RotationMessage): ChatMessage {
  const secrets = message.secrets.join(', ');
  const facts = [
    { name: 'Vault', value: message.vault },
    { name: message.secrets.length === 1 ? 'Secret' : 'Secrets', value: secrets },
    { name: 'Credential group', value: message.group },
  ];
  if (message.credentialId !== null) facts.push({ name: 'Now serving', value: message.credentialId });
  const versions = Object.entries(message.newVersions).map(([name, version]) => `${name}: ${version}`);
  if (versions.length > 0) facts.push({ name: 'New versions', value: versions.join(', ') });
  facts.push({ name: 'Run', value: message.runId }, { name: 'When', value: message.occurredAt });
  const why = message.compromised ? ' (compromise response)' : '';
  return {
    title: `Rotated ${secrets} in ${message.vault}${why}`,
    tone: 'good',
    summary:
      'A new credential is live in Key Vault. Services that read the secret pick it up when they restart or refresh their cache.',
    facts,
    action: message.compromised
      ? 'The old credential is being revoked: restart any service that holds it and is not listed as a consumer.'
      : undefined,
    occurredAt: message.occurredAt,
  };
}

/** What ops should do for each alert kind (the alert text carries the specifics). */
export const ALERT_ACTIONS: Record<Alert['kind'], string | undefined> = {
  'run-failed':
    'Nothing changed for consumers: Key Vault still serves the last known-good version. Inspect the run (GET /api/runs/{id}), fix the cause, then rotate again.',
  'poison-message':
    'A run request failed 5 times and went to the poison queue. Inspect the run, fix the cause, then trigger the rotation again.',
  'manual-action-required':
    'Mint a new key in the provider dashboard, then submit it with POST /api/secrets/{name}/versions (or the rotator CLI). The current key keeps working until it is revoked.',
  'secret-expired': 'The secret has expired in Key Vault. Rotate it now (POST /api/secrets/{name}/rotate).',
  'run-succeeded': undefined,
  'propagation-failed':
    'The new version is live in Key Vault but some consumers did not take it. Fix them, then re-propagate (POST /api/runs/{id}/propagate).',
  'invalid-value-reverted':
    'A submitted value failed validation and was reverted; the previous version is current again. Submit a working value.',
  'rotation-paused': 'ROTATION_PAUSED is set: triggers are skipped. Unset it to resume rotation.',
  digest: undefined,
};

/** Chat message for an alert (alert channels). */
export function chatForAlert(alert: Alert, occurredAt: string): ChatMessage {
  const facts: ChatMessage['facts'] = [];
  if (alert.vault !== undefined) facts.push({ name: 'Vault', value: alert.vault });
  if (alert.secrets !== undefined && alert.secrets.length > 0) {
    facts.push({ name: alert.secrets.length === 1 ? 'Secret' : 'Secrets', value: alert.secrets.join(', ') });
  }
  if (alert.runId !== undefined) facts.push({ name: 'Run', value: alert.runId });
  facts.push({ name: 'Severity', value: alert.severity }, { name: 'When', value: occurredAt });
  const action = ALERT_ACTIONS[alert.kind];
  const message: ChatMessage = {
    title: alert.title,
    tone: alert.kind === 'run-succeeded' ? 'good' : alert.severity,
    summary: alert.text,
    facts,
    occurredAt,
  };
  if (action !== undefined) message.action = action;
  return message;
}
