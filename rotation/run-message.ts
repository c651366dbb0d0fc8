/**
 * The run request as it travels on the `rotation-runs` queue: its schema, and the encoding the Functions
 * queue trigger expects (base64 of UTF-8 JSON, `host.json` `messageEncoding`). Lives here, not in `azure/`,
 * because triggers and the worker (`functions/`) validate with it too; `azure/queue.ts` re-exports it.
 */
import { z } from 'zod';
import { RotationError } from './errors.js';
import { RUN_ACTIONS, type RunRequest, type TriggerKind } from './ports.js';

/** The queue the worker (`rotationWorker`) reads; DESIGN.md fixes the name. */
export const RUN_QUEUE = 'rotation-runs';
/** Where the Functions host moves a message after `maxDequeueCount` (5) failed attempts. */
export const RUN_POISON_QUEUE = `${RUN_QUEUE}-poison`;

/** Queue messages hold 64 KiB; base64 inflates by 4/3. */
export const MAX_RUN_MESSAGE_JSON_BYTES = 48 * 1024;

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
  action: z.enum(RUN_ACTIONS).optional(),
  runId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
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
 * string, a JSON string, or an already-parsed object. Throws `RotationError(BadRequest)`.
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
