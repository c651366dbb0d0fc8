/**
 * What a CLI command may touch, injected so tests run commands over the in-memory fakes: output streams
 * (and whether they are terminals), the environment, the working directory, files, and how the app is
 * built. `processIo()` is the real process.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { RotatorApp } from '../composition/app.js';
import { type AppOptions, createCliApp } from './app.js';

export interface Output {
  write(text: string): void;
  /** True when a terminal shows it (colours, progress bar). */
  isTTY: boolean;
  /** Terminal width, when known. */
  columns?: number | undefined;
}

export interface CliIo {
  stdout: Output;
  stderr: Output;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  writeFile(path: string, data: string): Promise<void>;
  /** Builds the app the way `--settings/--config/--target` say (tests return a fake app). */
  createApp(options: AppOptions): Promise<RotatorApp>;
  /** Who runs the command (recorded as the run's caller). */
  operator: string;
}

function output(stream: NodeJS.WriteStream): Output {
  return {
    write: (text) => {
      stream.write(text);
    },
    isTTY: stream.isTTY === true,
    get columns() {
      return stream.columns;
    },
  };
}

export function processIo(): CliIo {
  return {
    stdout: output(process.stdout),
    stderr: output(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    writeFile: (path, data) => writeFile(path, data, 'utf8'),
    createApp: (options) => createCliApp(options),
    operator:
      process.env.ROTATOR_OPERATOR ?? process.env.USER ?? process.env.USERNAME ?? os.userInfo().username,
  };
}
