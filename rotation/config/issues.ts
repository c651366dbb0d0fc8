/**
 * Turns zod issues into `{ path, message }` pairs an operator can act on: JSON-path style paths
 * (`$.secrets["x"].validityDays`) and plain words. Messages never echo free-text input (inline setting
 * values may be secrets); only enum values and names are quoted.
 */
import type { z } from 'zod';
import type { ErrorDetail } from '../errors.js';

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A path segment that is a user-chosen map key (secret, consumer, channel name): always bracketed. */
export function key(name: string): { key: string } {
  return { key: name };
}

/**
 * Renders a JSON path. Strings that are identifiers render as `.name`, numbers as `[0]`, other strings
 * and `key(…)` segments as `["name"]`.
 */
export function jsonPath(segments: readonly (PathSegment | { key: string })[]): string {
  let out = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(typeof segment === 'string' ? segment : segment.key)}]`;
  }
  return out;
}

/** Small edit distance for "did you mean" hints on unknown keys and names. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** Path of a secret entry (or a field of it) in rotation.json. */
export function secretPath(name: string, ...rest: (string | number)[]): string {
  return jsonPath(['secrets', key(name), ...rest]);
}

export function didYouMean(word: string, candidates: readonly string[]): string {
  const hint = closest(word, candidates);
  return hint === undefined ? '' : ` (did you mean "${hint}"?)`;
}

export function listOf(values: readonly string[]): string {
  return values.length === 0 ? '(none)' : values.map((v) => `"${v}"`).join(', ');
}

type Issue = z.core.$ZodIssue;

function typeName(expected: string): string {
  switch (expected) {
    case 'object':
      return 'an object';
    case 'array':
      return 'a list';
    case 'int':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    default:
      return expected;
  }
}

/**
 * Converts the issues of one `safeParse` to details under `prefix`. `input` is the value that was
 * parsed, read only to tell "missing" from "wrong type". `vocabulary` (property names the schema knows)
 * lets unknown-property messages suggest the closest one.
 */
export function zodIssuesToDetails(
  issues: readonly Issue[],
  prefix: readonly (PathSegment | { key: string })[],
  input: unknown,
  vocabulary: readonly string[] = [],
): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of issues) details.push(...issueToDetails(issue, prefix, input, vocabulary));
  return details;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function issueToDetails(
  issue: Issue,
  prefix: readonly (PathSegment | { key: string })[],
  input: unknown,
  vocabulary: readonly string[],
): ErrorDetail[] {
  const segments = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  const path = jsonPath([...prefix, ...segments]);
  const here = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (here === undefined) return [{ path, message: 'is required' }];
      return [{ path, message: `must be ${typeName(issue.expected)}, not ${describeType(here)}` }];
    case 'unrecognized_keys': {
      return issue.keys.map((k) => ({
        path: jsonPath([...prefix, ...segments, k]),
        message: `is not a known property${didYouMean(k, vocabulary)}`,
      }));
    }
    case 'invalid_value':
      return [
        {
          path,
          message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${safeGot(here)}`,
        },
      ];
    case 'invalid_union': {
      if (here === undefined) return [{ path, message: 'is required' }];
      const discriminated = issue as { discriminator?: string; options?: unknown[] };
      if (discriminated.discriminator !== undefined) {
        const options = discriminated.options ?? [];
        return [
          {
            path,
            message: `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}${safeGot(here)}`,
          },
        ];
      }
      // Report the branch whose shape matched (e.g. a secretRef object with a bad name) in detail.
      const matching = issue.errors.filter(
        (branch) =>
          !(branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0),
      );
      if (matching.length === 1) {
        return zodIssuesToDetails(matching[0]!, [...prefix, ...segments], here, vocabulary);
      }
      return [{ path, message: issue.message }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a number' : 'a fraction';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return typeof value;
}

/** Quotes the rejected value only when it is a short word (an enum typo), never free text. */
function safeGot(value: unknown): string {
  if (typeof value === 'string' && /^[\w.-]{1,40}$/.test(value)) return `, not "${value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return `, not ${value}`;
  return '';
}
