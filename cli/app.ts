/**
 * Builds the engine for the CLI in its own process, with the operator's identity and the same storage
 * (journal, leases, queue) as the Function App — so a CLI run and a worker never race: both take the
 * group's lease. Settings come from flags, then the environment, then `local.settings.json` (`Values`).
 * The composition root picks the target: the local emulator when `<LOCAL_STATE_DIR>/endpoints.json`
 * exists (`npm start` writes it), else the real vaults named in `rotation.json`.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RotatorApp } from '../composition/app.js';
import { RotationError } from '../rotation/errors.js';
import type { Logger } from '../rotation/ports.js';
import { loadSettings } from '../rotation/settings.js';

export interface AppOptions {
  /** `local.settings.json` (default: that file in the working directory, when it exists). */
  settingsFile?: string | undefined;
  /** `rotation.json` path (sets `ROTATION_CONFIG`). */
  configFile?: string | undefined;
  /** `auto` (default), `local` (require `.local/endpoints.json`), `azure` (ignore it). */
  target?: 'auto' | 'local' | 'azure' | undefined;
  /** Log lines (JSON) to stderr from this level; default none (the command prints what happened). */
  logLevel?: 'info' | 'warn' | 'error' | 'off' | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stderr: { write(text: string): void };
}

/** Reads `Values` of a local.settings.json. */
export async function readLocalSettings(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new RotationError('ConfigInvalid', `cannot read the settings file ${file}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RotationError('ConfigInvalid', `${file} is not valid JSON`);
  }
  const values = (parsed as { Values?: unknown } | null)?.Values;
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new RotationError('ConfigInvalid', `${file} has no "Values" object`);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
  }
  return out;
}

/** As `npm start` chooses: `rotation.json` when present, else `rotation.sample.json`. */
export function defaultConfigPath(cwd: string): string {
  const own = path.join(cwd, 'rotation.json');
  return existsSync(own) ? own : path.join(cwd, 'rotation.sample.json');
}

/** The environment the app is built from: flags > process environment > local.settings.json. */
export async function cliEnvironment(options: AppOptions): Promise<Record<string, string | undefined>> {
  const defaultFile = path.join(options.cwd, 'local.settings.json');
  const file = options.settingsFile ?? (existsSync(defaultFile) ? defaultFile : undefined);
  const fromFile = file ? await readLocalSettings(path.resolve(options.cwd, file)) : {};
  const env: Record<string, string | undefined> = { ...fromFile, ...options.env };
  if (options.configFile) env.ROTATION_CONFIG = path.resolve(options.cwd, options.configFile);
  else if (!env.ROTATION_CONFIG?.trim()) env.ROTATION_CONFIG = defaultConfigPath(options.cwd);
  const stateDir = path.resolve(options.cwd, env.LOCAL_STATE_DIR?.trim() || '.local');
  if (options.target === 'local' && !existsSync(path.join(stateDir, 'endpoints.json'))) {
    throw new RotationError(
      'ConfigInvalid',
      `--target local: ${path.join(stateDir, 'endpoints.json')} does not exist; start the local stack with npm start`,
    );
  }
  // `azure`: a state directory without endpoints.json makes the root use the vaults of rotation.json.
  env.LOCAL_STATE_DIR =
    options.target === 'azure' ? mkdtempSync(path.join(os.tmpdir(), 'rotator-cli-')) : stateDir;
  return env;
}

const SILENT: Logger = { info: () => {}, warn: () => {}, error: () => {} };

function cliLogger(options: AppOptions, create: (o: object) => Logger): Logger {
  const level = options.logLevel ?? 'off';
  if (level === 'off') return SILENT;
  return create({
    level,
    base: { component: 'cli' },
    write: (line: string) => options.stderr.write(`${line}\n`),
  });
}

export async function createCliApp(options: AppOptions): Promise<RotatorApp> {
  const env = await cliEnvironment(options);
  const settings = loadSettings(env);
  const [{ createRotatorApp }, { createJsonLogger }] = await Promise.all([
    import('../composition/root.js'),
    import('../composition/logger.js'),
  ]);
  return createRotatorApp({ settings, processEnv: env, log: cliLogger(options, createJsonLogger) });
}
