/**
 * `RunQueue` over an Azure Storage queue (`rotation-runs`).
 *
 * Messages are base64-encoded JSON: the Functions queue trigger expects base64 by default
 * (`host.json` `messageEncoding`), decodes it and hands the worker the parsed object. Every request is
 * validated before it is sent, so a malformed request fails at the trigger, not five times in the worker.
 */
import type { QueueClient } from '@azure/storage-queue';
import { RotationError } from '../rotation/errors.js';
import type { RunQueue, RunRequest } from '../rotation/ports.js';
import { encodeRunMessage } from '../rotation/run-message.js';
import { wrapAzureError } from './errors.js';

// The message format lives in rotation/ (the worker validates with it); re-exported to keep this module's API.
export {
  decodeRunMessage,
  encodeRunMessage,
  MAX_RUN_MESSAGE_JSON_BYTES,
  RUN_POISON_QUEUE,
  RUN_QUEUE,
  runRequestSchema,
} from '../rotation/run-message.js';
/** A message may stay invisible for at most 7 days. */
export const MAX_VISIBILITY_DELAY_SECONDS = 7 * 24 * 3600;

export class StorageRunQueue implements RunQueue {
  private ready: Promise<QueueClient> | undefined;

  /**
   * @param queue - lazily builds the client, e.g. `() => factory.queueClient(RUN_QUEUE)`.
   * @param poison - optional poison-queue client, created alongside so alerts can watch it from the start.
   */
  constructor(
    private readonly queue: () => Promise<QueueClient>,
    private readonly poison?: () => Promise<QueueClient>,
  ) {}

  /** Creates the queue (and the poison queue, when given) if missing; once per instance. */
  ensure(): Promise<QueueClient> {
    this.ready ??= (async () => {
      const client = await this.queue();
      try {
        await client.createIfNotExists();
        if (this.poison) await (await this.poison()).createIfNotExists();
      } catch (error) {
        throw wrapAzureError(error, { action: `create queue ${client.name}` });
      }
      return client;
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async enqueue(request: RunRequest, options: { visibilityDelaySeconds?: number } = {}): Promise<void> {
    const message = encodeRunMessage(request);
    const requested = options.visibilityDelaySeconds ?? 0;
    if (!Number.isFinite(requested) || requested > MAX_VISIBILITY_DELAY_SECONDS) {
      throw new RotationError(
        'BadRequest',
        `visibility delay must be at most ${MAX_VISIBILITY_DELAY_SECONDS} seconds`,
      );
    }
    // A retry time already in the past means "now"; fractions round up so nothing is delivered early.
    const delay = Math.max(0, Math.ceil(requested));
    const client = await this.ensure();
    try {
      await client.sendMessage(message, delay > 0 ? { visibilityTimeout: delay } : {});
    } catch (error) {
      throw wrapAzureError(error, {
        action: `enqueue run for secret ${request.secret} in vault ${request.vault}`,
      });
    }
  }
}
