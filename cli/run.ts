/**
 * `rotator`: parses the command line (`node:util` `parseArgs`), builds the app on demand and runs one
 * command. Every command answers `--help`. Exit codes: 0 success, 1 a rotation failed, 2 usage or config.
 */
import { parseArgs } from 'node:util';
import type { RotatorApp } from '../composition/app.js';
import { describeError, isRotationError } from '../rotation/errors.js';
import type { AppOptions } from './app.js';
import type { Command, OptionSpecs, OptionValues } from './command.js';
import { doctorCommand } from './commands/doctor.js';
import { planCommand } from './commands/plan.js';
import { reportCommand } from './commands/report.js';
import { rotateCommand } from './commands/rotate.js';
import { EXIT, type ExitCode, exitCodeFor, UsageError } from './exit.js';
import { colourEnabled, createStyle, terminalWidth } from './format.js';
import type { CliIo } from './io.js';

export const COMMANDS: readonly Command[] = [planCommand, rotateCommand, reportCommand, doctorCommand];

export const GLOBAL_OPTIONS: OptionSpecs = {
  help: { type: 'boolean', short: 'h' },
  settings: { type: 'string' },
  config: { type: 'string' },
  target: { type: 'string' },
  'no-color': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
};

export const GLOBAL_HELP = `Global options:
  --settings FILE     local.settings.json to read (default: ./local.settings.json when present)
  --config FILE       rotation.json to use (default ROTATION_CONFIG, else ./rotation.json, else
                      ./rotation.sample.json, as npm start chooses)
  --target T          auto (default: the local emulator when .local/endpoints.json exists, else the
                      vaults named in rotation.json), local, or azure
  --no-color          no colours (also when NO_COLOR is set or output is not a terminal)
  -v, --verbose       log lines (JSON) on stderr
  -h, --help          this help`;

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `rotator — Key Vault Rotator for operators. Runs the engine in this process with your identity,
against the same storage as the Function App (usable while it is down).

Usage: rotator <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

${GLOBAL_HELP}

Exit codes: 0 success, 1 a rotation failed, 2 usage or configuration error.
Run 'rotator <command> --help' for a command's options.
`;
}

function parse(command: Command, args: string[]): { values: OptionValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as OptionValues, positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new UsageError(message);
  }
}

function appOptions(io: CliIo, values: OptionValues): AppOptions {
  const target = values.target;
  if (target !== undefined && target !== 'auto' && target !== 'local' && target !== 'azure') {
    throw new UsageError(`--target must be auto, local or azure (got ${String(target)})`);
  }
  return {
    env: io.env,
    cwd: io.cwd,
    stderr: io.stderr,
    logLevel: values.verbose === true ? 'info' : 'off',
    ...(typeof values.settings === 'string' ? { settingsFile: values.settings } : {}),
    ...(typeof values.config === 'string' ? { configFile: values.config } : {}),
    ...(typeof target === 'string' ? { target } : {}),
  };
}

/** Prints an error the way an operator can act on it: message, then each detail on its own line. */
export function printError(io: CliIo, error: unknown): void {
  const style = createStyle(colourEnabled(io.stderr.isTTY, io.env, false));
  if (error instanceof UsageError) {
    io.stderr.write(`${style.red('error:')} ${error.message}\n`);
    return;
  }
  const { code, message } = describeError(error);
  io.stderr.write(`${style.red('error:')} ${code}: ${message}\n`);
  if (isRotationError(error)) {
    // Config errors already list every problem in their message; print a detail only when it is new.
    for (const d of error.details.slice(0, 50)) {
      const line = `${d.path}: ${d.message}`;
      if (!message.includes(line)) io.stderr.write(`  ${line}\n`);
    }
  }
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const args = [...argv];
  const index = args.findIndex((a) => !a.startsWith('-'));
  const name = index >= 0 ? args[index] : undefined;
  if (name === undefined || name === 'help') {
    const topic = name === 'help' ? args[index + 1] : undefined;
    const command = COMMANDS.find((c) => c.name === topic);
    if (command) {
      io.stdout.write(command.help);
      return EXIT.ok;
    }
    const asked = args.includes('--help') || args.includes('-h') || name === 'help';
    (asked ? io.stdout : io.stderr).write(mainHelp());
    return asked ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`error: unknown command '${name}'\n\n${mainHelp()}`);
    return EXIT.usage;
  }
  args.splice(index, 1);
  try {
    const { values, positionals } = parse(command, args);
    if (values.help === true) {
      io.stdout.write(command.help);
      return EXIT.ok;
    }
    const options = appOptions(io, values);
    let app: Promise<RotatorApp> | undefined;
    const style = createStyle(colourEnabled(io.stdout.isTTY, io.env, values['no-color'] === true));
    return await command.run({
      io,
      style,
      values,
      positionals,
      app: () => {
        app ??= io.createApp(options);
        return app;
      },
      width: terminalWidth(io.stdout.columns, io.env),
    });
  } catch (error) {
    printError(io, error);
    if (error instanceof UsageError) io.stderr.write(`\nRun 'rotator ${command.name} --help' for usage.\n`);
    return exitCodeFor(error);
  }
}
