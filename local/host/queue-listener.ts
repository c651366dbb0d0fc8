/**
 * A storage-queue trigger the way the Functions queue extension runs one, against Azurite:
 * - polls with backoff (fast when messages flow, up to `pollMaxMs` when idle);
 * - fetches `batchSize` messages at a time, again whenever `newBatchThreshold` or fewer run, so at most
 *   `batchSize + newBatchThreshold` run at once (the extension's documented `QueuesOptions` behaviour);
 * - a received message is hidden for `leaseSeconds`, renewed at half-time while its handler runs;
 * - success → deleted; failure → visible again after `visibilityTimeoutSeconds` (retry);
 * - a failure on attempt `maxDequeueCount`, a message received more often than that (the host died
 *   mid-run) or a message that is not base64 → copied to `<queue>-poison`, deleted, `onPoison` called.
 * `context.triggerMetadata` carries `id`, `dequeueCount`, `popReceipt`, `insertionTime`, `expirationTime`,
 * `nextVisibleTime` and `queueTrigger` (the decoded text), as Azure's camel-cased metadata.
 */
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { StorageQueueFunctionDefinition } from '../../functions/definition.js';
import { describeError } from '../../rotation/errors.js';
import type { Logger } from '../../rotation/ports.js';
import type { QueueSettings } from './config.js';
import { createInvocationContext } from './context.js';
import { decodeQueueMessageText, parseQueuePayload } from './queue-message.js';
import type { InvocationTracker } from './tracker.js';
import { Waiter } from './waiter.js';

export interface PoisonMessage {
  functionName: string;
  queueName: string;
  poisonQueueName: string;
  messageId: string;
  dequeueCount: number;
  reason: 'maxDequeueCount' | 'undecodable';
  /** The decoded payload (undefined when undecodable). Run requests hold names and ids, never values. */
  payload: unknown;
}

export type PoisonHook = (message: PoisonMessage) => void | Promise<void>;

export interface QueueTiming {
  pollMinMs: number;
  pollMaxMs: number;
  /** How long a received message stays hidden while its handler runs (renewed at half-time). */
  leaseSeconds: number;
}

export interface QueueListenerOptions {
  definition: StorageQueueFunctionDefinition;
  connectionString: string;
  queues: QueueSettings;
  timing: QueueTiming;
  logger: Logger;
  tracker: InvocationTracker;
  onPoison?: PoisonHook;
}

/**
 * The start of the user agent of the host's own storage requests (queue polling, message settlement), which
 * tells them from the app's: in Azure the Functions host makes them, not the worker (`npm run bench` counts
 * the app's calls only).
 */
export const HOST_USER_AGENT = 'local-functions-host';

/** Loaded on first use: the host starts without the storage SDK when no queue function is defined. */
async function createQueueClient(connectionString: string, queueName: string): Promise<QueueClient> {
  const { QueueServiceClient } = await import('@azure/storage-queue');
  const service = QueueServiceClient.fromConnectionString(connectionString, {
    userAgentOptions: { userAgentPrefix: HOST_USER_AGENT },
    // No idle keep-alive sockets survive `stop()`; each poll is a short local request anyway.
    keepAliveOptions: { enable: false },
    retryOptions: { maxTries: 3, retryDelayInMs: 100, maxRetryDelayInMs: 1000, tryTimeoutInMs: 30_000 },
  });
  return service.getQueueClient(queueName);
}

export class QueueListener {
  readonly #options: QueueListenerOptions;
  readonly #waiter = new Waiter();
  readonly #abort = new AbortController();
  #queue: QueueClient | undefined;
  #poisonQueue: QueueClient | undefined;
  #running = 0;
  #loop: Promise<void> | undefined;

  constructor(options: QueueListenerOptions) {
    this.#options = options;
  }

  get queueName(): string {
    return this.#options.definition.trigger.queueName;
  }

  get poisonQueueName(): string {
    return `${this.queueName}-poison`;
  }

  /** Creates the queue if needed (fails loudly when storage is unreachable), then starts polling. */
  async start(): Promise<void> {
    this.#queue = await createQueueClient(this.#options.connectionString, this.queueName);
    await this.#queue.createIfNotExists({ abortSignal: this.#abort.signal });
    this.#loop = this.#poll(this.#queue);
  }

  /** Stops fetching; messages already running finish under the host's drain. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#waiter.wake();
    await this.#loop;
  }

  async #poll(queue: QueueClient): Promise<void> {
    const { pollMinMs, pollMaxMs, leaseSeconds } = this.#options.timing;
    const { batchSize, newBatchThreshold } = this.#options.queues;
    let delay = pollMinMs;
    while (!this.#abort.signal.aborted) {
      if (this.#running > newBatchThreshold) {
        await this.#waiter.wait(pollMaxMs);
        continue;
      }
      let messages: DequeuedMessageItem[];
      try {
        const response = await queue.receiveMessages({
          numberOfMessages: Math.min(32, batchSize),
          visibilityTimeout: leaseSeconds,
          abortSignal: this.#abort.signal,
        });
        messages = response.receivedMessageItems;
      } catch (error) {
        if (this.#abort.signal.aborted) break;
        this.#options.logger.warn('queue poll failed', {
          queueName: this.queueName,
          error: describeError(error),
        });
        delay = pollMaxMs;
        await this.#waiter.wait(delay);
        continue;
      }
      if (messages.length === 0) {
        await this.#waiter.wait(delay);
        delay = Math.min(delay * 2, pollMaxMs);
        continue;
      }
      delay = pollMinMs;
      for (const message of messages) {
        this.#running++;
        void this.#options.tracker
          .track(this.#process(queue, message))
          .catch((error: unknown) => {
            this.#options.logger.error('queue message handling failed', {
              queueName: this.queueName,
              error: describeError(error),
            });
          })
          .finally(() => {
            this.#running--;
            this.#waiter.wake();
          });
      }
    }
  }

  async #process(queue: QueueClient, message: DequeuedMessageItem): Promise<void> {
    const { definition, queues, logger } = this.#options;
    const lease = { popReceipt: message.popReceipt };
    const text = decodeQueueMessageText(message.messageText);
    if (text === undefined) {
      logger.warn('queue message is not base64; moving it to the poison queue', this.#fields(message));
      await this.#poison(queue, message, lease.popReceipt, 'undecodable', undefined);
      return;
    }
    const payload = parseQueuePayload(text);
    if (message.dequeueCount > queues.maxDequeueCount) {
      await this.#poison(queue, message, lease.popReceipt, 'maxDequeueCount', payload);
      return;
    }
    const context = createInvocationContext({
      functionName: definition.name,
      triggerType: 'queueTrigger',
      logger,
      triggerMetadata: {
        id: message.messageId,
        dequeueCount: message.dequeueCount,
        popReceipt: message.popReceipt,
        insertionTime: message.insertedOn.toISOString(),
        expirationTime: message.expiresOn.toISOString(),
        nextVisibleTime: message.nextVisibleOn.toISOString(),
        queueTrigger: text,
      },
    });
    const renewal = this.#renewLease(queue, message, lease);
    let succeeded = false;
    try {
      await definition.handler(payload, context);
      succeeded = true;
    } catch (error) {
      logger.error('function failed', {
        ...this.#fields(message),
        invocationId: context.invocationId,
        error: describeError(error),
      });
    } finally {
      await renewal.stop();
    }
    if (succeeded) {
      await this.#settle('delete', () => queue.deleteMessage(message.messageId, lease.popReceipt), message);
    } else if (message.dequeueCount >= queues.maxDequeueCount) {
      await this.#poison(queue, message, lease.popReceipt, 'maxDequeueCount', payload);
    } else {
      await this.#settle(
        'release',
        () =>
          queue.updateMessage(
            message.messageId,
            lease.popReceipt,
            undefined,
            queues.visibilityTimeoutSeconds,
          ),
        message,
      );
    }
  }

  /** Keeps the message hidden while the handler runs; every renewal yields a new pop receipt. */
  #renewLease(queue: QueueClient, message: DequeuedMessageItem, lease: { popReceipt: string }) {
    const { leaseSeconds } = this.#options.timing;
    let inFlight: Promise<void> = Promise.resolve();
    const timer = setInterval(
      () => {
        inFlight = inFlight.then(async () => {
          try {
            const result = await queue.updateMessage(
              message.messageId,
              lease.popReceipt,
              undefined,
              leaseSeconds,
            );
            if (result.popReceipt) lease.popReceipt = result.popReceipt;
          } catch (error) {
            this.#options.logger.warn('queue message lease renewal failed', {
              ...this.#fields(message),
              error: describeError(error),
            });
          }
        });
      },
      Math.max(500, (leaseSeconds * 1000) / 2),
    );
    return {
      stop: async (): Promise<void> => {
        clearInterval(timer);
        await inFlight;
      },
    };
  }

  async #settle(
    action: string,
    operation: () => Promise<unknown>,
    message: DequeuedMessageItem,
  ): Promise<void> {
    try {
      await operation();
    } catch (error) {
      // The message reappears when its lease ends and runs again: at least once, as in Azure.
      this.#options.logger.warn(`queue message ${action} failed`, {
        ...this.#fields(message),
        error: describeError(error),
      });
    }
  }

  async #poison(
    queue: QueueClient,
    message: DequeuedMessageItem,
    popReceipt: string,
    reason: PoisonMessage['reason'],
    payload: unknown,
  ): Promise<void> {
    const { definition, logger, onPoison } = this.#options;
    this.#poisonQueue ??= await this.#poisonClient();
    await this.#poisonQueue.sendMessage(message.messageText);
    await this.#settle('delete', () => queue.deleteMessage(message.messageId, popReceipt), message);
    logger.error('queue message moved to the poison queue', {
      ...this.#fields(message),
      poisonQueueName: this.poisonQueueName,
      reason,
    });
    if (!onPoison) return;
    try {
      await onPoison({
        functionName: definition.name,
        queueName: this.queueName,
        poisonQueueName: this.poisonQueueName,
        messageId: message.messageId,
        dequeueCount: message.dequeueCount,
        reason,
        payload,
      });
    } catch (error) {
      logger.error('onPoison hook failed', { ...this.#fields(message), error: describeError(error) });
    }
  }

  async #poisonClient(): Promise<QueueClient> {
    const client = await createQueueClient(this.#options.connectionString, this.poisonQueueName);
    await client.createIfNotExists();
    return client;
  }

  #fields(message: DequeuedMessageItem): Record<string, unknown> {
    return {
      functionName: this.#options.definition.name,
      queueName: this.queueName,
      messageId: message.messageId,
      dequeueCount: message.dequeueCount,
    };
  }
}
