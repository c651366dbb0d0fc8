/**
 * `RunQueue` over an Azure Storage queue (`rotation-runs`).
 *
 * Messages are base64-encoded JSON: the Functions queue trigger expects base64 by default
 * (`host.json` `messageEncoding`), decodes it and hands the worker the parsed object. Every request is
 * validated before it is sent, so a malformed request fails at the trigger, not five times in the worker.
 */
import type { QueueClient } from '@azure/storage-queue';
import { z } from 'zod';
import { RotationError } from '../rotation/errors.js';
import type { RunQueue, RunRequest, TriggerKind } from '../rotation/ports.js';
import { wrapAzureError } from './errors.js';

export const RUN_QUEUE = 'rotation-runs';
/** Where the Functions host moves a message after `maxDequeueCount` (5) failed attempts. */
export const RUN_POISON_QUEUE = `${RUN_QUEUE}-poison`;
/** Queue messages hold 64 KiB; base64 inflates by 4/3. */
export const MAX_RUN_MESSAGE_JSON_BYTES = 48 * 1024;
/** A message may stay invisible for at most 7 days. */
export const MAX_VISIBILITY_DELAY_SECONDS = 7 * 24 * 3600;

const TRIGGER_KINDS = [
  'event',
  'sweep',
  'http',
  'cli',
  'submission',
  'rollback',
] as const satisfies readonly TriggerKind[];

export const runRequestSchema = z.object({
  vault: z.string().regex(/^[0-9a-zA-Z-]{1,127}$/),
  secret: z.string().regex(/^[0-9a-zA-Z-]{1,127}$/),
  triggerVersion: z
    .string()
    .regex(/^[0-9a-zA-Z]{1,64}$/)
    .optional(),
  trigger: z.object({
    kind: z.enum(TRIGGER_KINDS),
    eventId: z.string().max(256).optional(),
    eventType: z.string().max(256).optional(),
    caller: z.string().max(256).optional(),
    reason: z.string().max(1024).optional(),
  }),
  compromised: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  requestedAt: z.iso.datetime({ offset: true }),
}) satisfies z.ZodType<RunRequest>;

function invalid(error: z.ZodError): RotationError {
  return new RotationError('BadRequest', 'invalid run request', {
    details: error.issues.map((i) => ({ path: i.path.join('.') || '$', message: i.message })),
  });
}

/** Validates a request and encodes it as the queue trigger expects (base64 of UTF-8 JSON). */
export function encodeRunMessage(request: RunRequest): string {
  const parsed = runRequestSchema.safeParse(request);
  if (!parsed.success) throw invalid(parsed.error);
  const json = JSON.stringify(parsed.data);
  if (Buffer.byteLength(json, 'utf8') > MAX_RUN_MESSAGE_JSON_BYTES) {
    throw new RotationError('PayloadTooLarge', 'run request is too large for a queue message');
  }
  return Buffer.from(json, 'utf8').toString('base64');
}

/**
 * Parses a run request from what the queue holds or what the Functions host hands over: a base64
 * string, a JSON string, or an already-parsed object.
 */
export function decodeRunMessage(message: unknown): RunRequest {
  let value: unknown = message;
  if (typeof message === 'string') {
    const trimmed = message.trim();
    const text = trimmed.startsWith('{') ? trimmed : Buffer.from(trimmed, 'base64').toString('utf8');
    try {
      value = JSON.parse(text);
    } catch {
      throw new RotationError('BadRequest', 'run message is not JSON');
    }
  }
  const parsed = runRequestSchema.safeParse(value);
  if (!parsed.success) throw invalid(parsed.error);
  return parsed.data;
}

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
