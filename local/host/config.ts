/**
 * What the local host takes from host.json (the same file Azure reads), plus the local-only knobs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export interface QueueSettings {
  /** Attempts before a message moves to `<queue>-poison` (host.json `maxDequeueCount`, Azure default 5). */
  maxDequeueCount: number;
  /** Delay before a failed message is visible again (host.json `visibilityTimeout`). */
  visibilityTimeoutSeconds: number;
  /** Messages fetched (and run concurrently) per queue at most. */
  batchSize: number;
  /** Fetch more when this many or fewer are still running. */
  newBatchThreshold: number;
  /**
   * Longest wait between polls of an idle queue (host.json `maxPollingInterval`; Azure's default is a
   * minute, its floor 100 ms): the worst delay between a run being queued and a worker picking it up.
   */
  maxPollingIntervalSeconds: number;
}

export interface HostConfig {
  routePrefix: string;
  functionTimeoutSeconds: number;
  queues: QueueSettings;
}

/** `hh:mm:ss` or `d.hh:mm:ss` (.NET TimeSpan, as host.json writes durations) to seconds. */
export function parseTimeSpan(text: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a TimeSpan (hh:mm:ss)`);
  const [, days, hours, minutes, seconds, fraction] = match;
  return (
    Number(days ?? 0) * 86_400 +
    Number(hours) * 3600 +
    Number(minutes) * 60 +
    Number(seconds) +
    (fraction ? Number(`0.${fraction}`) : 0)
  );
}

const timeSpan = z.string().transform((value, ctx) => {
  try {
    return parseTimeSpan(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : 'invalid TimeSpan' });
    return z.NEVER;
  }
});

/** Azure's defaults where host.json is silent; unknown keys (logging, extensionBundle…) are ignored. */
const hostJsonSchema = z.object({
  functionTimeout: timeSpan.prefault('00:05:00'),
  extensions: z
    .object({
      http: z.object({ routePrefix: z.string().prefault('api') }).prefault({}),
      queues: z
        .object({
          maxDequeueCount: z.number().int().min(1).prefault(5),
          visibilityTimeout: timeSpan.prefault('00:00:00'),
          batchSize: z.number().int().min(1).max(32).prefault(16),
          newBatchThreshold: z.number().int().min(0).optional(),
          maxPollingInterval: timeSpan
            .prefault('00:01:00')
            .refine((seconds) => seconds >= 0.1, 'must be at least 00:00:00.1'),
        })
        .prefault({}),
    })
    .prefault({}),
});

/** The project's host.json (two levels up from this folder). */
export const DEFAULT_HOST_JSON = fileURLToPath(new URL('../../host.json', import.meta.url));

export function parseHostJson(json: unknown): HostConfig {
  const parsed = hostJsonSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`host.json is invalid: ${problems.join('; ')}`);
  }
  const { functionTimeout, extensions } = parsed.data;
  const queues = extensions.queues;
  const http = extensions.http;
  return {
    routePrefix: http.routePrefix.replace(/^\/+|\/+$/g, ''),
    functionTimeoutSeconds: functionTimeout,
    queues: {
      maxDequeueCount: queues.maxDequeueCount,
      visibilityTimeoutSeconds: queues.visibilityTimeout,
      batchSize: queues.batchSize,
      // Azure's default threshold is batchSize / 2; at most batchSize + newBatchThreshold run at once.
      newBatchThreshold: queues.newBatchThreshold ?? Math.floor(queues.batchSize / 2),
      maxPollingIntervalSeconds: queues.maxPollingInterval,
    },
  };
}

export function readHostConfig(file: string = DEFAULT_HOST_JSON): HostConfig {
  return parseHostJson(JSON.parse(readFileSync(file, 'utf8')));
}
