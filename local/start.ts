/**
 * `npm start`: the rotator's own runtime on a machine without an Azure account.
 *
 * Reads the app settings and `rotation.json` (`ROTATION_CONFIG`, else `rotation.json` when present, else
 * `rotation.sample.json`), decides local or azure mode (`local/mode.ts`), then:
 * - local: Azurite + emulator + alert sink, seeded secrets, `LOCAL_STATE_DIR/endpoints.json`, the local
 *   Functions host on the emulator's clock, vault events subscribed to `keyVaultEvents`;
 * - azure: the same functions against the configured Azure endpoints, nothing local.
 * Exit codes: 0 after a clean stop (Ctrl-C / SIGTERM), 2 for bad settings or config (every problem listed
 * by JSON path), 1 when something fails to start, 130 when a second Ctrl-C forces the exit.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig, type ResolvedConfig } from '../rotation/config/index.js';
import { describeError, isRotationError } from '../rotation/errors.js';
import type { Logger } from '../rotation/ports.js';
import { type AppSettings, loadSettings } from '../rotation/settings.js';
import { configureAzureApp, configureLocalApp } from './app-hook.js';
import { azureBanner, createConsoleLogger, localBanner } from './banner.js';
import { newFunctionKey } from './endpoints-file.js';
import { startLocalHost } from './host/index.js';
import { chooseConfig, decideMode, FlagError, isInlineConfig, type ModeDecision, parseFlag } from './mode.js';
import { startLocalStack } from './stack.js';

const startedAt = performance.now();
const EXIT_CONFIG = 2;
const EXIT_FAILED = 1;
const EXIT_FORCED = 130;
/** A stop that takes longer than this is forced (exit 1): something is stuck. */
const STOP_TIMEOUT_MS = 20_000;

class ConfigProblem extends Error {}

function fail(code: number, message: string): never {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(code);
}

interface Inputs {
  settings: AppSettings;
  configPath: string;
  config: ResolvedConfig;
  decision: ModeDecision;
  persistAzurite: boolean;
}

/** Everything read from the environment and `rotation.json`; a problem here exits 2 before anything starts. */
function readInputs(): Inputs {
  try {
    const settings = loadSettings(process.env);
    const configPath = chooseConfig(process.env, process.cwd());
    const config = loadConfig(configPath);
    const decision = decideMode({ config, env: process.env });
    const persistAzurite = parseFlag('AZURITE_PERSIST', process.env.AZURITE_PERSIST) === true;
    return { settings, configPath, config, decision, persistAzurite };
  } catch (error) {
    if (isRotationError(error, 'ConfigInvalid') || error instanceof FlagError) {
      throw new ConfigProblem(error.message);
    }
    throw error;
  }
}

interface Running {
  stop(): Promise<void>;
}

function handleSignals(getRunning: () => Running | undefined, log: Logger): { requested: () => boolean } {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`\n${signal} again: forcing exit.\n`);
      process.exit(EXIT_FORCED);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping (press Ctrl-C again to force)…\n`);
    const running = getRunning();
    // Still starting: `main` sees `requested()` and stops as soon as the start finishes.
    if (running) void stopAndExit(running, log);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { requested: () => stopping };
}

async function stopAndExit(running: Running, log: Logger): Promise<never> {
  const watchdog = setTimeout(() => {
    process.stderr.write('npm start: stopping took too long; forcing exit.\n');
    process.exit(EXIT_FAILED);
  }, STOP_TIMEOUT_MS);
  watchdog.unref();
  try {
    await running.stop();
    process.stdout.write('Stopped.\n');
    process.exit(0);
  } catch (error) {
    log.error('stop failed', { error: describeError(error) });
    process.exit(EXIT_FAILED);
  }
}

async function main(): Promise<void> {
  let inputs: Inputs;
  try {
    inputs = readInputs();
  } catch (error) {
    if (error instanceof ConfigProblem) fail(EXIT_CONFIG, error.message);
    throw error;
  }
  const { settings, configPath, config, decision, persistAzurite } = inputs;
  const log = createConsoleLogger();
  let running: Running | undefined;
  const signals = handleSignals(() => running, log);
  const { functionDefinitions } = await import('../functions/definitions.js');
  const functionKey = process.env.FUNCTION_KEY?.trim() || newFunctionKey();
  const functions = functionDefinitions.map((d) => d.name);
  process.stdout.write(`npm start: ${decision.mode} mode (${decision.reason})\n`);

  if (decision.mode === 'azure') {
    await configureAzureApp({
      settings: { ...settings, ROTATION_CONFIG: configPath },
      config,
      processEnv: process.env,
      log,
    });
    const host = await startLocalHost({
      definitions: functionDefinitions,
      port: settings.PORT,
      functionKey,
      // %SWEEP_SCHEDULE% must resolve even when only its default (0 0 2 * * *) applies.
      settings: { ...process.env, SWEEP_SCHEDULE: settings.SWEEP_SCHEDULE },
      logger: log,
    });
    running = host;
    process.stdout.write(
      azureBanner({
        decision,
        configPath,
        host: host.url,
        functions,
        vaults: config.vaults.map((v) => ({ name: v.name, url: v.url ?? '' })),
        functionKeyFromEnv: Boolean(process.env.FUNCTION_KEY?.trim()),
        startupMs: performance.now() - startedAt,
      }),
    );
  } else {
    const stateDir = path.resolve(settings.LOCAL_STATE_DIR);
    const stack = await startLocalStack({
      config,
      stateDir,
      port: settings.PORT,
      functionKey,
      persistAzurite,
      definitions: functionDefinitions,
      // %SWEEP_SCHEDULE% must resolve even when only its default (0 0 2 * * *) applies.
      settings: { ...process.env, SWEEP_SCHEDULE: settings.SWEEP_SCHEDULE },
      logger: log,
      configureApp: (context) => {
        // What this run really uses, also for anything that reads the environment later (as in Azure).
        process.env.AzureWebJobsStorage = context.storageConnectionString;
        process.env.LOCAL_STATE_DIR = stateDir;
        process.env.ROTATION_CONFIG = configPath;
        const appSettings: AppSettings = {
          ...settings,
          AzureWebJobsStorage: context.storageConnectionString,
          LOCAL_STATE_DIR: stateDir,
          ROTATION_CONFIG: configPath,
        };
        return configureLocalApp({ ...context, settings: appSettings, log });
      },
    });
    running = stack;
    process.stdout.write(
      localBanner({
        decision,
        configPath: isInlineConfig(configPath) ? 'ROTATION_CONFIG (inline)' : configPath,
        secrets: config.secrets.length,
        groups: config.groups.length,
        dueWithin30Days: stack.seed.dueWithin30Days,
        host: stack.host.url,
        functions,
        emulator: stack.emulator.origin,
        vaults: stack.emulator.vaults,
        endpointsFile: stack.endpointsFile,
        caCertFile: stack.emulator.caCertFile,
        storage: persistAzurite ? { persistedAt: path.join(stateDir, 'azurite') } : {},
        sink: stack.sink.url,
        subscribedVaults: stack.subscribedVaults,
        warnings: stack.warnings,
        startupMs: performance.now() - startedAt,
      }),
    );
  }
  if (signals.requested()) await stopAndExit(running, log);
}

main().catch((error: unknown) => {
  if (isRotationError(error, 'ConfigInvalid')) fail(EXIT_CONFIG, error.message);
  fail(EXIT_FAILED, `could not start: ${describeError(error).message}`);
});
