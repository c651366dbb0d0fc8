/** What the Key Vault event parser produces: parsed secret events, or typed rejections. */

/** The secret events the rotator acts on (`Microsoft.KeyVault.` prefix removed). */
export const SECRET_EVENT_TYPES = ['SecretNearExpiry', 'SecretExpired', 'SecretNewVersionCreated'] as const;
export type SecretEventType = (typeof SECRET_EVENT_TYPES)[number];

export interface KeyVaultSecretEvent {
  /** Event id (Event Grid `id`); at-least-once delivery may repeat it. */
  id: string;
  type: SecretEventType;
  /** The event type as delivered, e.g. `Microsoft.KeyVault.SecretNearExpiry`. */
  eventType: string;
  /** Which envelope it came in. */
  schema: 'eventgrid' | 'cloudevents';
  /** Lowercased vault name. */
  vault: string;
  objectType: 'Secret';
  /** Secret name as Key Vault reported it (compare lowercased). */
  name: string;
  version: string;
  nbf?: Date;
  exp?: Date;
  eventTime: Date;
  /** `topic` (Event Grid) or `source` (CloudEvents): the vault's ARM id. */
  source?: string;
}

/**
 * Why an event was not accepted. All are permanent: the handler logs and acknowledges them (retrying
 * would not help). `MalformedDelivery` concerns the whole body (not JSON, not an event or a list).
 */
export const EVENT_REJECTION_REASONS = [
  'MalformedDelivery',
  'MalformedEvent',
  'UnsupportedEventType',
  'NotASecret',
  'InvalidName',
  'InvalidVersion',
  'InvalidVault',
  'InconsistentEvent',
] as const;
export type EventRejectionReason = (typeof EVENT_REJECTION_REASONS)[number];

export interface EventRejection {
  /** Position in the delivered batch (0 for a single event, -1 for the whole delivery). */
  index: number;
  reason: EventRejectionReason;
  /** Plain words, safe to log (no input is quoted beyond short ids and type names). */
  message: string;
  id?: string;
  eventType?: string;
}

export type EventParseResult =
  | { ok: true; event: KeyVaultSecretEvent }
  | { ok: false; rejection: EventRejection };

export type KeyVaultDelivery =
  /** Event Grid's subscription handshake: answer `{ validationResponse: validationCode }`. */
  | { kind: 'validation'; validationCode: string; validationUrl?: string }
  /** The body is not a delivery at all: answer 400. */
  | { kind: 'malformed'; rejection: EventRejection }
  /** Events to enqueue and rejections to log; acknowledge the delivery once the events are queued. */
  | { kind: 'notification'; events: KeyVaultSecretEvent[]; rejections: EventRejection[] };

/** Request headers as a Fetch `Headers`, or a plain (case-insensitive) record. */
export type HeaderSource =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;
