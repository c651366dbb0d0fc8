/**
 * App settings (environment variables / Functions app settings) with the defaults DESIGN.md fixes.
 * Unknown variables are ignored: the environment holds much more than ours.
 */
import { z } from 'zod';
import { type ErrorDetail, RotationError } from './errors.js';

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const boolean = (fallback: boolean) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const lower = value.toLowerCase();
      if (['true', '1', 'yes'].includes(lower)) return true;
      if (['false', '0', 'no'].includes(lower)) return false;
      ctx.addIssue({ code: 'custom', message: 'must be true or false' });
      return z.NEVER;
    });

/** NCRONTAB as the Functions timer trigger takes it: six fields, seconds first. */
const NCRONTAB_FIELD = /^[\d*,/-]+$|^[A-Za-z]{3}(-[A-Za-z]{3})?$/;

export const settingsSchema = z.object({
  /** Storage for queues, leases and the journal. Optional here so the CLI can check a config without it. */
  AzureWebJobsStorage: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
  /** Path to rotation.json, or the JSON itself. */
  ROTATION_CONFIG: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? 'rotation.json' : v)),
  ROTATION_CONCURRENCY: integer(8, 1, 64),
  SWEEP_SCHEDULE: z
    .string()
    .trim()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return '0 0 2 * * *';
      const fields = value.split(/\s+/);
      if (fields.length !== 6 || !fields.every((f) => NCRONTAB_FIELD.test(f))) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be an NCRONTAB expression with six fields, seconds first (e.g. "0 0 2 * * *")',
        });
        return z.NEVER;
      }
      return value;
    }),
  VALIDATION_TIMEOUT_SECONDS: integer(300, 1, 3600),
  HTTP_WAIT_SECONDS: integer(20, 0, 200),
  RETRY_FAILED_AFTER_MINUTES: integer(60, 0, 7 * 24 * 60),
  ROTATION_PAUSED: boolean(false),
  /** Local only: where `npm start` writes `endpoints.json`, certificates and emulator state. */
  LOCAL_STATE_DIR: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? '.local' : v)),
  /** Local only: port of the local Functions host. */
  PORT: integer(7071, 0, 65535),
});

export type AppSettings = z.output<typeof settingsSchema>;

/** Reads the settings from `env` (default `process.env`); throws `ConfigInvalid` listing every bad one. */
export function loadSettings(env: Record<string, string | undefined> = process.env): AppSettings {
  const parsed = settingsSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const details: ErrorDetail[] = parsed.error.issues.map((issue) => ({
    path: String(issue.path[0] ?? '$'),
    message: issue.code === 'invalid_type' ? 'must be text' : issue.message,
  }));
  throw new RotationError(
    'ConfigInvalid',
    `Invalid app settings:\n${details.map((d) => `  ${d.path}: ${d.message}`).join('\n')}`,
    { details },
  );
}

/** The storage connection string, or a clear error when the setting is missing. */
export function requireStorage(settings: AppSettings): string {
  if (settings.AzureWebJobsStorage === undefined) {
    throw new RotationError(
      'ConfigInvalid',
      'AzureWebJobsStorage is not set: the rotator needs a storage account (locally `npm start` sets it to Azurite).',
      { details: [{ path: 'AzureWebJobsStorage', message: 'is required' }] },
    );
  }
  return settings.AzureWebJobsStorage;
}
