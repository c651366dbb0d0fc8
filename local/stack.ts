/**
 * The local stack `npm start` runs in one process: Azurite, the emulator (vaults, ARM resources and topics
 * from `rotation.json`), the alert sink, the seeded secrets, `endpoints.json`, the local Functions host on
 * the emulator's clock, and the Event Grid subscription of every vault to `keyVaultEvents`.
 * Stops in reverse order; a failure part-way stops what had started.
 */
import { createServer } from 'node:net';
import path from 'node:path';
import {
  createAzureAdapters,
  createClientFactory,
  type LocalEnvironment,
  localEnvironment,
} from '../azure/index.js';
import type { FunctionDefinition } from '../functions/definition.js';
import type { ResolvedConfig } from '../rotation/config/index.js';
import type { Logger } from '../rotation/ports.js';
import { type RunningAzurite, startAzurite } from './azurite.js';
import { type RunningEmulator, startEmulator } from './emulator/index.js';
import { ensureStateDir, removeEndpointsFile, writeEndpointsFile } from './endpoints-file.js';
import { type RunningLocalHost, startLocalHost } from './host/index.js';
import { planSeed, type SeedSummary, seedLocalStack } from './seed/index.js';
import { type AlertSink, startAlertSink } from './sink.js';

/** The Event Grid function the vaults' events go to (DESIGN.md, Functions and routes). */
export const KEY_VAULT_EVENTS_FUNCTION = 'keyVaultEvents';

/** What the composition root gets before the host serves anything (see `local/start.ts`). */
export interface LocalAppContext {
  env: LocalEnvironment;
  /** The emulator's shared origin (ARM, provider data planes, control API). */
  emulatorOrigin: string;
  clock: { now(): Date };
  /** Azurite's connection string (`AzureWebJobsStorage` of this run). */
  storageConnectionString: string;
}

export interface LocalStackOptions {
  config: ResolvedConfig;
  /** Absolute path of `LOCAL_STATE_DIR`. */
  stateDir: string;
  /** Host port; 0 picks a free one. */
  port: number;
  functionKey: string;
  /** Keep Azurite's data under `stateDir/azurite` across runs. */
  persistAzurite: boolean;
  definitions: readonly FunctionDefinition[];
  /** App settings for the host (`%SWEEP_SCHEDULE%`…). */
  settings: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  /** Wires the composition root to this stack (its environment and the emulator's clock). */
  configureApp?: (context: LocalAppContext) => void | Promise<void>;
}

export interface RunningLocalStack {
  azurite: RunningAzurite;
  emulator: RunningEmulator;
  sink: AlertSink;
  host: RunningLocalHost;
  env: LocalEnvironment;
  endpointsFile: string;
  seed: SeedSummary;
  warnings: string[];
  /** Vaults whose events are delivered to `keyVaultEvents`. */
  subscribedVaults: string[];
  stop(): Promise<void>;
}

/** A free loopback port (bound and released), so endpoints.json can name the host before it listens. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startLocalStack(options: LocalStackOptions): Promise<RunningLocalStack> {
  const { config, stateDir, logger } = options;
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  const stopAll = async () => {
    for (const { name, stop } of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.warn(`stopping ${name} failed`, { error: error instanceof Error ? error.message : 'unknown' });
      }
    }
  };
  try {
    ensureStateDir(stateDir);
    removeEndpointsFile(stateDir);
    stops.push({ name: 'endpoints.json', stop: async () => removeEndpointsFile(stateDir) });

    const plan = planSeed(config);
    const azuriteDir = path.join(stateDir, 'azurite');
    const azurite = await startAzurite(options.persistAzurite ? { location: azuriteDir } : {});
    stops.push({ name: 'Azurite', stop: () => azurite.stop() });
    const sink = await startAlertSink(logger);
    stops.push({ name: 'alert sink', stop: () => sink.stop() });
    const emulator = await startEmulator({ vaults: plan.vaults, resources: plan.resources, stateDir });
    stops.push({ name: 'emulator', stop: () => emulator.stop() });

    const env = localEnvironment({
      caCert: emulator.caCert,
      vaultUrls: Object.fromEntries(emulator.vaults.map((v) => [v.name, v.url])),
      armEndpoint: emulator.armEndpoint,
      storageConnectionString: azurite.connectionString,
    });
    const { store } = createAzureAdapters(createClientFactory(env));
    const seed = await seedLocalStack({ config, plan, control: emulator.control, store, sink });

    const port = options.port === 0 ? await freePort() : options.port;
    const hostUrl = `http://127.0.0.1:${port}`;
    const endpointsFile = writeEndpointsFile(stateDir, {
      host: hostUrl,
      functionKey: options.functionKey,
      emulator: emulator.origin,
      vaults: emulator.vaults,
      armEndpoint: emulator.armEndpoint,
      caCertFile: emulator.caCertFile,
      storageConnectionString: azurite.connectionString,
    });
    await options.configureApp?.({
      env,
      emulatorOrigin: emulator.origin,
      clock: emulator.clock,
      storageConnectionString: azurite.connectionString,
    });

    const host = await startLocalHost({
      definitions: options.definitions,
      port,
      functionKey: options.functionKey,
      storageConnectionString: azurite.connectionString,
      settings: { ...options.settings, AzureWebJobsStorage: azurite.connectionString },
      logger,
      clock: emulator.clock,
    });
    stops.push({ name: 'host', stop: () => host.stop() });

    const subscribedVaults: string[] = [];
    const hasEventsFunction = options.definitions.some(
      (d) => d.name.toLowerCase() === KEY_VAULT_EVENTS_FUNCTION.toLowerCase(),
    );
    if (hasEventsFunction) {
      const code = encodeURIComponent(options.functionKey);
      const url = `${host.url}/runtime/webhooks/eventgrid?functionName=${KEY_VAULT_EVENTS_FUNCTION}&code=${code}`;
      for (const vault of emulator.vaults) {
        await emulator.control.subscribe(vault.name, { url });
        subscribedVaults.push(vault.name);
      }
    }

    return {
      azurite,
      emulator,
      sink,
      host,
      env,
      endpointsFile,
      seed,
      warnings: plan.warnings,
      subscribedVaults,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
