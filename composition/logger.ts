/**
 * The app's `Logger`: one JSON object per line (`time`, `level`, `message`, fields), which Application
 * Insights and `npm start` both read. Two safety nets on top of the rule that callers never pass values:
 * - `code=…` (a function key in a URL) and `sig=…` (a SAS signature) are replaced in every string;
 * - fields whose name says they hold a credential (`value`, `password`, `apiKey`, `connectionString`, …)
 *   are replaced whatever they hold (not `code`, `key` or `secret`: error codes, lease keys and secret
 *   names are wanted).
 * Errors are reduced to status, code and message (`describeError`): SDK errors carry request headers.
 */
import { describeError } from '../rotation/errors.js';
import type { Logger } from '../rotation/ports.js';

export type LogLevel = 'info' | 'warn' | 'error';

export interface JsonLoggerOptions {
  /** Where lines go (default: stdout for info, stderr for warn and error). */
  write?: (line: string, level: LogLevel) => void;
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** Fields added to every line (e.g. `{ component: 'cli' }`). */
  base?: Record<string, unknown>;
  /** Time stamp source (default: the system clock; log times are wall-clock times). */
  now?: () => Date;
}

export const REDACTED = '[redacted]';

const FIXED_KEYS = ['time', 'level', 'message'] as const;

const LEVEL_ORDER: Record<LogLevel, number> = { info: 0, warn: 1, error: 2 };

/** Field names whose values are never written (compared case-insensitively, ignoring `-` and `_`). */
const SENSITIVE_FIELDS = new Set([
  'value',
  'secretvalue',
  'password',
  'pwd',
  'token',
  'accesstoken',
  'apikey',
  'key1',
  'key2',
  'primarykey',
  'secondarykey',
  'accountkey',
  'accesskey',
  'signingkey',
  'functionkey',
  'connectionstring',
  'primaryconnectionstring',
  'secondaryconnectionstring',
  'authorization',
  'credential',
]);

/** `code=` and `sig=` anywhere; key-like query parameters after `?` or `&`. */
const URL_SECRETS = /(\bcode|\bsig|[?&](?:key|secret|api-key|apikey|token|access_token))=([^&\s"'<>]+)/gi;
const MAX_DEPTH = 6;
const MAX_STRING = 4000;

/** Replaces `code=…`-style secrets in a string (function keys and signatures in URLs). */
export function redactText(text: string): string {
  const redacted = text.replace(URL_SECRETS, (_match, name: string) => `${name}=${REDACTED}`);
  return redacted.length > MAX_STRING ? `${redacted.slice(0, MAX_STRING)}…` : redacted;
}

function isSensitive(name: string): boolean {
  return SENSITIVE_FIELDS.has(name.toLowerCase().replace(/[-_]/g, ''));
}

/** A JSON-safe copy of `value` with secrets removed. */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol'
      ? String(value)
      : value;
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return scrub(describeError(value), depth + 1);
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (Buffer.isBuffer(value)) return REDACTED;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    out[name] = isSensitive(name) ? REDACTED : scrub(field, depth + 1);
  }
  return out;
}

function defaultWrite(line: string, level: LogLevel): void {
  (level === 'info' ? process.stdout : process.stderr).write(`${line}\n`);
}

export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const write = options.write ?? defaultWrite;
  const min = LEVEL_ORDER[options.level ?? 'info'];
  const now = options.now ?? (() => new Date());
  const base = options.base ? (scrub(options.base) as Record<string, unknown>) : {};
  const emit = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVEL_ORDER[level] < min) return;
    const extra = fields ? (scrub(fields) as Record<string, unknown>) : {};
    // A field named like a fixed key (`...describeError(e)` brings `message`) is kept as `field.<name>`.
    for (const key of FIXED_KEYS) {
      if (key in extra) {
        extra[`field.${key}`] = extra[key];
        delete extra[key];
      }
    }
    const line = { ...base, ...extra, time: now().toISOString(), level, message: redactText(message) };
    write(JSON.stringify(line), level);
  };
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A logger that adds `fields` to every line of `log`. */
export function withFields(log: Logger, fields: Record<string, unknown>): Logger {
  return {
    info: (message, extra) => log.info(message, { ...fields, ...extra }),
    warn: (message, extra) => log.warn(message, { ...fields, ...extra }),
    error: (message, extra) => log.error(message, { ...fields, ...extra }),
  };
}
