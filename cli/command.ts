/** The shape of a `rotator` command and the context it runs in. */
import type { ParseArgsConfig } from 'node:util';
import type { RotatorApp } from '../composition/app.js';
import type { ExitCode } from './exit.js';
import type { Style } from './format.js';
import type { CliIo } from './io.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  io: CliIo;
  /** Colours for stdout (off when it is not a terminal, with NO_COLOR or --no-color). */
  style: Style;
  values: OptionValues;
  positionals: string[];
  /** Builds the app once, on first use (commands that fail on usage never touch Azure). */
  app(): Promise<RotatorApp>;
  /** Terminal width for tables. */
  width: number;
}

export interface Command {
  name: string;
  summary: string;
  /** Full `--help` text (usage, options, examples). */
  help: string;
  options: OptionSpecs;
  run(ctx: CommandContext): Promise<ExitCode>;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (Array.isArray(value)) return value;
  return typeof value === 'string' ? [value] : [];
}
