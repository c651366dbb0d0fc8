/**
 * Publishing to an Event Grid custom topic. The rotator codes against {@link EventGridSender}; the SDK
 * adapter loads `@azure/eventgrid` on first use (never at registration: SDK loading is slow).
 */
import type { RotatorEventGridEvent } from './events.js';

export interface EventGridSender {
  send(events: RotatorEventGridEvent[]): Promise<void>;
}

/**
 * Builds a sender for a topic endpoint and access key. `azure/`'s `eventGridPublisher(endpoint, key)` fits
 * (an `EventGridPublisherClient<'EventGrid'>` is an `EventGridSender`).
 */
export type EventGridClientFactory = (
  endpoint: string,
  accessKey: string,
) => EventGridSender | Promise<EventGridSender>;

export interface SdkEventGridOptions {
  /** Extra CA to trust (the local emulator's certificate), per client. */
  ca?: string | Buffer;
}

/**
 * SDK-backed factory. The SDK's own retries are off: the notifier and propagator retry with their own
 * policy, and stacking both would multiply waits.
 */
export function createSdkEventGridClientFactory(options: SdkEventGridOptions = {}): EventGridClientFactory {
  return async (endpoint, accessKey) => {
    const { EventGridPublisherClient, AzureKeyCredential } = await import('@azure/eventgrid');
    return new EventGridPublisherClient(endpoint, 'EventGrid', new AzureKeyCredential(accessKey), {
      retryOptions: { maxRetries: 0 },
      ...(options.ca === undefined ? {} : { tlsOptions: { ca: options.ca } }),
    });
  };
}
