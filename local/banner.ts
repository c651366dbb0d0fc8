/**
 * What `npm start` prints: a short banner saying where everything is, and a console logger with one line
 * per event. The function key itself is never printed — the banner says where it is (endpoints.json) and
 * shows a `curl` that reads it from there; request lines come from the host with `code` redacted.
 */
import path from 'node:path';
import { redactText, scrub } from '../composition/logger.js';
import type { Logger } from '../rotation/ports.js';
import type { ModeDecision } from './mode.js';

export interface LocalBannerInput {
  decision: ModeDecision;
  configPath: string;
  secrets: number;
  groups: number;
  dueWithin30Days: number;
  host: string;
  functions: string[];
  emulator: string;
  vaults: { name: string; url: string }[];
  endpointsFile: string;
  caCertFile: string;
  storage: { persistedAt?: string };
  sink: string;
  subscribedVaults: string[];
  warnings: string[];
  startupMs: number;
}

export interface AzureBannerInput {
  decision: ModeDecision;
  configPath: string;
  host: string;
  functions: string[];
  vaults: { name: string; url: string }[];
  functionKeyFromEnv: boolean;
  startupMs: number;
}

/** A path as the user would type it from the current folder (relative when inside it). */
export function displayPath(file: string, cwd = process.cwd()): string {
  const relative = path.relative(cwd, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Single-quotes a value for a POSIX shell when it needs it. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

const row = (label: string, value: string) => `  ${label.padEnd(11)} ${value}`;

export function localBanner(input: LocalBannerInput): string {
  const endpoints = shellQuote(displayPath(input.endpointsFile));
  const ca = shellQuote(displayPath(input.caCertFile));
  const lines = [
    '',
    `Key Vault Rotator — local mode (${input.decision.reason})`,
    row(
      'config',
      `${displayPath(input.configPath)}: ${input.secrets} secrets in ${input.groups} credential groups, ` +
        `${input.dueWithin30Days} expiring within 30 days`,
    ),
    row('host', `${input.host}  (${input.functions.length} functions)`),
    row('emulator', `${input.emulator}  (ARM, provider data planes, control API /_emulator)`),
    ...input.vaults.map((v) => row('vault', `${v.name}  ${v.url}`)),
    row(
      'storage',
      input.storage.persistedAt
        ? `Azurite, persisted under ${displayPath(input.storage.persistedAt)}`
        : 'Azurite in memory (AZURITE_PERSIST=true keeps it under LOCAL_STATE_DIR/azurite)',
    ),
    row('alerts', `${input.sink}  (Teams/Slack/webhook messages are logged here, never their content)`),
    row('events', eventsLine(input.subscribedVaults)),
    row('endpoints', `${displayPath(input.endpointsFile)}  (function key, CA certificate, storage)`),
    ...input.warnings.map((w) => row('warning', w)),
    '',
    'Try:',
    `  curl -s -H "x-functions-key: $(jq -r .functionKey ${endpoints})" ${input.host}/api/reports/inventory`,
    'Fast-forward the clock (Key Vault expiry events, timers and the rotator move together):',
    `  curl -s --cacert ${ca} -X POST -H 'content-type: application/json' -d '{"days":30}' ${input.emulator}/_emulator/clock/advance`,
    '',
    `Ready in ${(input.startupMs / 1000).toFixed(1)} s. Ctrl-C stops everything.`,
    '',
  ];
  return lines.join('\n');
}

function eventsLine(vaults: string[]): string {
  return vaults.length > 0
    ? `Key Vault events of ${vaults.join(', ')} → keyVaultEvents`
    : 'no Event Grid subscription (the keyVaultEvents function is not registered)';
}

export function azureBanner(input: AzureBannerInput): string {
  const lines = [
    '',
    `Key Vault Rotator — azure mode (${input.decision.reason})`,
    row('config', displayPath(input.configPath)),
    row('host', `${input.host}  (${input.functions.length} functions)`),
    ...input.vaults.map((v) => row('vault', `${v.name}  ${v.url}`)),
    row('credential', 'DefaultAzureCredential (az login, environment or managed identity)'),
    row(
      'key',
      input.functionKeyFromEnv
        ? 'FUNCTION_KEY from the environment'
        : 'random for this run; set FUNCTION_KEY to choose',
    ),
    '',
    'No emulator and no Azurite: every call goes to the Azure endpoints above.',
    `Ready in ${(input.startupMs / 1000).toFixed(1)} s. Ctrl-C stops.`,
    '',
  ];
  return lines.join('\n');
}

function time(): string {
  return new Date().toISOString().slice(11, 23);
}

/**
 * Request lines already spell their fields out; other events get theirs as compact JSON, scrubbed like the
 * app's JSON logger (credential-named fields and `code=`/`sig=` in strings are redacted).
 */
function formatFields(message: string, fields: Record<string, unknown> | undefined): string {
  if (!fields || Object.keys(fields).length === 0) return '';
  if ('method' in fields && 'status' in fields && message.includes(String(fields.status))) return '';
  return ` ${JSON.stringify(scrub(fields))}`;
}

/** One line per event on stdout (info) or stderr (warn, error). */
export function createConsoleLogger(
  out: (line: string) => void = (line) => process.stdout.write(line),
  err: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const write =
    (sink: (line: string) => void, level: string) => (message: string, fields?: Record<string, unknown>) =>
      sink(`${time()} ${level} ${redactText(message)}${formatFields(message, fields)}\n`);
  return { info: write(out, 'info '), warn: write(err, 'warn '), error: write(err, 'error') };
}
