/** Alerts through the Notifier, recorded on the run; and redaction of known secret values from text. */
import { describeError } from '../errors.js';
import type { Alert, Clock, Logger, Notifier, RunRecord } from '../ports.js';

type RecordedAlert = RunRecord['alerts'][number];

const REDACTED = '[redacted]';

/**
 * Replaces every occurrence of a known secret value (and its base64 / URL-encoded forms) in `text`.
 * A second line of defence: messages are built from names and codes, but a provider's error text could
 * echo what it was sent.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 6) continue;
    for (const form of new Set([
      secret,
      encodeURIComponent(secret),
      Buffer.from(secret).toString('base64'),
    ])) {
      out = out.split(form).join(REDACTED);
    }
  }
  return out;
}

/**
 * Sends an alert and returns one record per channel delivery. A notifier that throws does not fail the
 * run: the failure is logged and recorded as a failed delivery to channel `notifier`.
 */
export async function sendAlert(
  deps: { notifier: Notifier; clock: Clock; log: Logger },
  alert: Alert,
): Promise<RecordedAlert[]> {
  try {
    const deliveries = await deps.notifier.send(alert);
    return deliveries.map((d) => ({
      kind: alert.kind,
      channel: d.channel,
      status: d.status,
      attempts: d.attempts,
      at: d.at,
    }));
  } catch (error) {
    const { code, message } = describeError(error);
    deps.log.error('alert delivery failed', { kind: alert.kind, runId: alert.runId, code, message });
    return [
      {
        kind: alert.kind,
        channel: 'notifier',
        status: 'failed',
        attempts: 1,
        at: deps.clock.now().toISOString(),
      },
    ];
  }
}
