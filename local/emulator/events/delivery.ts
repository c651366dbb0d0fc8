/**
 * Event Grid push delivery to webhook subscriptions, as Event Grid does it: a validation handshake first
 * (`aeg-event-type: SubscriptionValidation`, answered with `{ validationResponse }`), then each event POSTed
 * as a one-element JSON array with `aeg-event-type: Notification`. First attempts go out in publish order, one
 * at a time per subscription. A non-2xx answer, a connection error or a timeout is retried with exponential
 * backoff, so a receiver can see an event twice and out of order; 400 and 413 are not retried (Event Grid
 * drops those). Only loopback receivers are allowed.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { redactUrl } from '../core/request-log.js';
import type { Timers } from '../core/timers.js';
import {
  type EventGridEvent,
  eventTime,
  KEY_VAULT_EVENT_TYPES,
  type KeyVaultEventType,
} from './keyvault-events.js';
import {
  type Attempt,
  checkReceiverUrl,
  isSuccess,
  postJson,
  SubscriptionError,
  validationResponse,
} from './webhook.js';

export { SubscriptionError } from './webhook.js';

export interface DeliveryOptions {
  /** First retry delay; each further retry doubles it (default 2000 ms). */
  retryDelayMs?: number;
  /** Longest delay between retries (default 60 s). */
  maxRetryDelayMs?: number;
  /** Attempts per event (and per handshake) including the first (default 8). */
  maxAttempts?: number;
  /** How long a receiver may take to answer (default 30 s, Event Grid's limit). */
  timeoutMs?: number;
}

export interface SubscriptionInput {
  /** Loopback `http:` or `https:` URL (a Functions webhook URL with `?code=` is fine: it is never shown). */
  url: string;
  /** Event types to deliver; all Key Vault secret events when omitted. */
  eventTypes?: KeyVaultEventType[];
}

export interface EventSubscription {
  id: string;
  vault: string;
  /** The URL with secret-looking query values masked. */
  url: string;
  eventTypes: KeyVaultEventType[];
  createdAt: string;
}

export interface DeliveryRecord {
  seq: number;
  subscriptionId: string;
  kind: 'validation' | 'event';
  /** Event id (the validation event's id for handshakes). */
  eventId: string;
  eventType: string;
  subject: string;
  /** 1-based attempt number. */
  attempt: number;
  /** Wall-clock time of the attempt (ISO). */
  at: string;
  /** Receiver's status, or null on a connection error or timeout. */
  status: number | null;
  /** Connection error or timeout, if any (never a body). */
  error?: string;
  outcome: 'delivered' | 'retrying' | 'failed';
}

interface ActiveSubscription {
  view: EventSubscription;
  url: URL;
  /** First attempts go out one at a time in publish order; retries are scheduled independently. */
  queue: Promise<unknown>;
}

const NO_RETRY = new Set([400, 413]);

export class EventDelivery {
  readonly #options: Required<DeliveryOptions>;
  readonly #timers: Timers;
  readonly #caCert: string;
  readonly #subscriptions = new Map<string, ActiveSubscription>();
  readonly #log: DeliveryRecord[] = [];
  readonly #inflight = new Set<Promise<void>>();
  readonly #requests = new Set<http.ClientRequest>();
  #seq = 0;

  constructor(options: DeliveryOptions, timers: Timers, caCert: string) {
    this.#options = {
      retryDelayMs: options.retryDelayMs ?? 2000,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 60_000,
      maxAttempts: options.maxAttempts ?? 8,
      timeoutMs: options.timeoutMs ?? 30_000,
    };
    this.#timers = timers;
    this.#caCert = caCert;
  }

  /**
   * Adds a webhook subscription for a vault. Resolves once the receiver passed the validation handshake;
   * rejects (and keeps nothing) when it never does, as Azure refuses to create such a subscription.
   */
  async subscribe(vault: string, topic: string, input: SubscriptionInput): Promise<EventSubscription> {
    const url = checkReceiverUrl(input.url);
    const eventTypes = input.eventTypes ?? [...KEY_VAULT_EVENT_TYPES];
    for (const type of eventTypes) {
      if (!KEY_VAULT_EVENT_TYPES.includes(type)) throw new SubscriptionError(`Unknown event type: ${type}`);
    }
    const view: EventSubscription = {
      id: `sub-${randomUUID()}`,
      vault,
      url: redactUrl(url.href),
      eventTypes: [...eventTypes],
      createdAt: new Date().toISOString(),
    };
    const subscription: ActiveSubscription = { view, url, queue: Promise.resolve() };
    const validationCode = randomUUID();
    const validation: EventGridEvent<{ validationCode: string }> = {
      id: randomUUID(),
      topic,
      subject: '',
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: eventTime(new Date()),
      data: { validationCode },
      dataVersion: '2',
      metadataVersion: '1',
    };
    const validated = await this.#track(
      this.#deliver(subscription, validation, 'validation', (attempt) => {
        if (attempt.status !== 200 || attempt.body === undefined) return false;
        return validationResponse(attempt.body) === validationCode;
      }),
    );
    if (!validated) {
      throw new SubscriptionError(
        `The receiver ${view.url} did not answer the subscription validation handshake with its code.`,
      );
    }
    this.#subscriptions.set(view.id, subscription);
    return structuredClone(view);
  }

  unsubscribe(id: string): boolean {
    return this.#subscriptions.delete(id);
  }

  subscriptions(vault?: string): EventSubscription[] {
    return [...this.#subscriptions.values()]
      .filter((s) => vault === undefined || s.view.vault.toLowerCase() === vault.toLowerCase())
      .map((s) => structuredClone(s.view));
  }

  /** Queues an event for every matching subscription of the vault; delivery is asynchronous. */
  publish(vault: string, event: EventGridEvent): void {
    for (const subscription of this.#subscriptions.values()) {
      if (subscription.view.vault.toLowerCase() !== vault.toLowerCase()) continue;
      if (!(subscription.view.eventTypes as string[]).includes(event.eventType)) continue;
      const first = subscription.queue.then(() => this.#post(subscription, event, 'event', 1));
      subscription.queue = first;
      const accepted = (a: Attempt) => a.status !== null && isSuccess(a.status);
      void this.#track(this.#deliver(subscription, event, 'event', accepted, first));
    }
  }

  deliveries(): DeliveryRecord[] {
    return this.#log.map((record) => structuredClone(record));
  }

  /** Resolves when no delivery is in flight or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** Drops pending retries and aborts requests in flight. */
  stop(): void {
    this.#subscriptions.clear();
    for (const request of this.#requests) request.destroy();
  }

  #track<T>(work: Promise<T>): Promise<T> {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.#inflight.add(done);
    void done.then(() => this.#inflight.delete(done));
    return work;
  }

  /** Sends with retries; resolves whether it was accepted in the end. */
  async #deliver(
    subscription: ActiveSubscription,
    event: EventGridEvent,
    kind: DeliveryRecord['kind'],
    accepted: (attempt: Attempt) => boolean,
    firstAttempt?: Promise<Attempt>,
  ): Promise<boolean> {
    const { maxAttempts, retryDelayMs, maxRetryDelayMs } = this.#options;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (this.#timers.cancelled) return false;
      const result =
        attempt === 1 && firstAttempt
          ? await firstAttempt
          : await this.#post(subscription, event, kind, attempt);
      const success = accepted(result);
      const final =
        success || attempt === maxAttempts || (result.status !== null && NO_RETRY.has(result.status));
      this.#record(
        subscription,
        event,
        kind,
        attempt,
        result,
        success ? 'delivered' : final ? 'failed' : 'retrying',
      );
      if (final) return success;
      const delay = Math.min(retryDelayMs * 2 ** (attempt - 1), maxRetryDelayMs);
      if (!(await this.#timers.sleep(delay))) return false;
    }
    return false;
  }

  #record(
    subscription: ActiveSubscription,
    event: EventGridEvent,
    kind: DeliveryRecord['kind'],
    attempt: number,
    result: Attempt,
    outcome: DeliveryRecord['outcome'],
  ): void {
    const record: DeliveryRecord = {
      seq: ++this.#seq,
      subscriptionId: subscription.view.id,
      kind,
      eventId: event.id,
      eventType: event.eventType,
      subject: event.subject,
      attempt,
      at: new Date().toISOString(),
      status: result.status,
      outcome,
    };
    if (result.error !== undefined) record.error = result.error;
    this.#log.push(record);
  }

  #post(
    subscription: ActiveSubscription,
    event: EventGridEvent,
    kind: DeliveryRecord['kind'],
    attempt: number,
  ): Promise<Attempt> {
    if (this.#timers.cancelled) return Promise.resolve({ status: null, error: 'emulator stopped' });
    return postJson(subscription.url, [event], {
      caCert: this.#caCert,
      timeoutMs: this.#options.timeoutMs,
      inflight: this.#requests,
      headers: {
        'aeg-event-type': kind === 'validation' ? 'SubscriptionValidation' : 'Notification',
        'aeg-subscription-name': subscription.view.id.toUpperCase(),
        'aeg-delivery-count': String(attempt - 1),
        'aeg-data-version': event.dataVersion,
        'aeg-metadata-version': event.metadataVersion,
      },
    });
  }
}
