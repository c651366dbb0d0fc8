/**
 * Loads `rotation.json` (a path, inline JSON text, or an already-parsed value) into a `ResolvedConfig`,
 * or throws one `RotationError('ConfigInvalid')` listing every problem by JSON path.
 */
import { readFileSync } from 'node:fs';
import { type ErrorDetail, RotationError } from '../errors.js';
import { parseJsonText } from './json.js';
import { type ResolveOptions, resolveSections } from './resolve.js';
import { parseSections } from './sections.js';
import type { ResolvedConfig } from './types.js';

export type LoadConfigOptions = ResolveOptions;

/** At most this many problems are spelled out in the error message (all are in `details`). */
const MESSAGE_LIMIT = 50;

/**
 * `pathOrJson`: a file path, or JSON text (anything starting with `{` after whitespace; this is how
 * `ROTATION_CONFIG` may carry the config inline), or a parsed object.
 */
export function loadConfig(pathOrJson: string | object, options: LoadConfigOptions = {}): ResolvedConfig {
  if (typeof pathOrJson !== 'string') return parseConfig(pathOrJson, options, 'the rotation config');
  const trimmed = pathOrJson.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    return parseConfig(
      parseText(pathOrJson, 'inline rotation config'),
      options,
      'the inline rotation config',
    );
  }
  let text: string;
  try {
    text = readFileSync(trimmed, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'the file does not exist'
        : code === 'EISDIR'
          ? 'it is a folder'
          : `${code ?? 'read error'}`;
    throw new RotationError('ConfigInvalid', `Cannot read rotation config "${trimmed}": ${reason}.`, {
      details: [{ path: '$', message: `cannot read "${trimmed}": ${reason}` }],
    });
  }
  return parseConfig(parseText(text, trimmed), options, trimmed);
}

function parseText(text: string, origin: string): unknown {
  const parsed = parseJsonText(text);
  if (parsed.ok) return parsed.value;
  const { line, column, message } = parsed.problem;
  throw new RotationError(
    'ConfigInvalid',
    `${origin} is not valid JSON: line ${line}, column ${column}: ${message}.`,
    { details: [{ path: '$', message: `not valid JSON at line ${line}, column ${column}: ${message}` }] },
  );
}

/** Validates and resolves an already-parsed config value. */
export function parseConfig(
  value: unknown,
  options: LoadConfigOptions = {},
  origin = 'the rotation config',
): ResolvedConfig {
  const details: ErrorDetail[] = [];
  const sections = parseSections(value, details);
  const config = resolveSections(sections, details, options);
  if (details.length > 0) throw configError(origin, details);
  return config;
}

export function configError(origin: string, details: ErrorDetail[]): RotationError {
  const lines = details.slice(0, MESSAGE_LIMIT).map((d) => `  ${d.path}: ${d.message}`);
  if (details.length > MESSAGE_LIMIT) lines.push(`  … and ${details.length - MESSAGE_LIMIT} more`);
  const count = details.length === 1 ? '1 problem' : `${details.length} problems`;
  return new RotationError('ConfigInvalid', `${origin} has ${count}:\n${lines.join('\n')}`, { details });
}
