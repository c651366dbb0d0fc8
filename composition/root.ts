/**
 * The composition root: wires the engine's ports to the Azure adapters, the providers and the consumers,
 * once per process, for the Functions host (Azure and local), `npm start` and the CLI.
 *
 * Environment: the one given; else local when `<LOCAL_STATE_DIR>/endpoints.json` exists (written by
 * `npm start`); else real Azure (vault URLs from `rotation.json`, storage from `AzureWebJobsStorage`).
 * Local mode never builds a cloud credential and every endpoint is loopback (azure/ enforces it).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { HEARTBEAT_TABLE, TableHeartbeatStore } from '../azure/heartbeat.js';
import {
  type AzureEnvironment,
  cloudEnvironment,
  createAzureAdapters,
  createClientFactory,
  type LocalEnvironment,
  loadEndpointsFile,
  localEnvironmentFromEndpoints,
} from '../azure/index.js';
import { createNotifier, createPropagator, createSdkSiteRestarter, FAST_TIMING } from '../consumers/index.js';
import { createProviderRegistry } from '../providers/registry.js';
import { WarmConnections } from '../providers/shared/warm-connections.js';
import { loadConfig, type ResolvedConfig } from '../rotation/config/index.js';
import { type EngineDeps, type EngineTiming, engineSettingsFrom } from '../rotation/engine/index.js';
import { type ErrorDetail, RotationError } from '../rotation/errors.js';
import type { Clock, Logger } from '../rotation/ports.js';
import { type AppSettings, loadSettings } from '../rotation/settings.js';
import type { RotatorApp } from './app.js';
import { ConfigSecretCatalog } from './catalog.js';
import { EmulatorFollowingClock, systemClock } from './clock.js';
import { createJsonLogger } from './logger.js';
import { createSettingResolver } from './setting-resolver.js';

export type TimingProfile = 'default' | 'fast';

export interface CreateRotatorAppOptions {
  settings: AppSettings;
  /** Where Azure is; default: local when `<LOCAL_STATE_DIR>/endpoints.json` exists, else real Azure. */
  env?: AzureEnvironment;
  /**
   * Local mode: the emulator's shared origin (manual providers' APIs live under it). Default: `emulator`
   * from endpoints.json, else the environment's ARM endpoint (the same origin in our emulator).
   */
  emulatorOrigin?: string;
  /**
   * Default: in local mode an {@link EmulatorFollowingClock} (synced before this resolves), in Azure the
   * system clock. `npm start` and tests pass the in-process emulator's clock (`followClock(emulator.clock)`).
   */
  clock?: Clock;
  /** Default: JSON lines on stdout/stderr. */
  log?: Logger;
  /** `fast`: millisecond retries, leases and backoffs for tests. */
  timing?: TimingProfile;
  /** Raw environment, for `AzureWebJobsStorage__accountName` (identity-based storage); default `process.env`. */
  processEnv?: Readonly<Record<string, string | undefined>>;
}

/** Engine timing for tests: the same state machine, with millisecond waits. */
export const FAST_ENGINE_TIMING: EngineTiming = {
  leaseSeconds: 15,
  leaseRenewEveryMs: 5_000,
  leaseFreshMs: 500,
  validation: { initialDelayMs: 20, maxDelayMs: 200, factor: 2 },
  promoteAttempts: 3,
  promoteBackoff: { initialDelayMs: 10, maxDelayMs: 50, factor: 2 },
};

const FAST_DATA_PLANE_TIMEOUT_MS = 5_000;

/** Builds the app. Rejects with `RotationError(ConfigInvalid)` listing every problem of the config. */
export async function createRotatorApp(options: CreateRotatorAppOptions): Promise<RotatorApp> {
  const { settings } = options;
  const log = options.log ?? createJsonLogger();
  const fast = options.timing === 'fast';
  const located = await locateEnvironment(options);
  const config = loadConfig(
    settings.ROTATION_CONFIG,
    located.env?.mode === 'local' ? { vaultUrls: located.env.vaultUrls } : {},
  );
  const env = located.env ?? cloudFromConfig(config, settings, options.processEnv ?? process.env);
  if (env.mode === 'local') checkLocalVaults(config, env);

  const factory = createClientFactory(env, { timing: fast ? 'fast' : 'default' });
  const adapters = createAzureAdapters(factory);
  const clock = options.clock ?? (await defaultClock(env, located.emulatorOrigin));
  const resolveSetting = createSettingResolver(adapters.store, config.defaultVault);
  const eventGrid = (endpoint: string, key: string) => factory.eventGridPublisher(endpoint, key, 'EventGrid');
  const consumerTiming = fast ? { timing: FAST_TIMING } : {};

  const dataPlane = {
    // Validation calls go out on a connection opened while the key was minted (one per call, then closed).
    connections: new WarmConnections(),
    ...(env.mode === 'local' ? { ca: env.caCert } : {}),
    ...(fast ? { timeoutMs: FAST_DATA_PLANE_TIMEOUT_MS } : {}),
  };
  const engine: EngineDeps = {
    ...adapters,
    propagator: createPropagator({
      consumers: config.consumers,
      resolveSetting,
      restarter: createSdkSiteRestarter({ webSiteClient: (sub) => factory.webSiteClient(sub) }),
      eventGrid,
      clock,
      log,
      ...consumerTiming,
    }),
    notifier: createNotifier({
      channels: config.channels,
      resolveSetting,
      eventGrid,
      clock,
      log,
      ...consumerTiming,
    }),
    clock,
    log,
    catalog: new ConfigSecretCatalog(config, adapters.store),
    providers: createProviderRegistry({
      clients: factory,
      dataPlane,
      ...(located.emulatorOrigin === undefined ? {} : { emulatorOrigin: located.emulatorOrigin }),
    }),
    settings: engineSettingsFrom(settings),
    ...(fast ? { timing: FAST_ENGINE_TIMING } : {}),
  };
  log.info('rotator app ready', {
    mode: env.mode,
    vaults: config.vaults.map((v) => v.name),
    groups: config.groups.length,
    paused: settings.ROTATION_PAUSED,
  });
  // The daily sweep's heartbeat (table rotationsweeps): the inventory tells `overdue` from `due` by it.
  const heartbeat = new TableHeartbeatStore(() => factory.tableClient(HEARTBEAT_TABLE));
  return { settings, config, engine, log, mode: env.mode, heartbeat };
}

/** `loadSettings(env)` + `createRotatorApp`: what the Functions entry points use (via `getRotatorApp`). */
export function createRotatorAppFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: Omit<CreateRotatorAppOptions, 'settings' | 'processEnv'> = {},
): Promise<RotatorApp> {
  return Promise.resolve().then(() =>
    createRotatorApp({ ...options, settings: loadSettings({ ...env }), processEnv: env }),
  );
}

interface LocatedEnvironment {
  /** Undefined: real Azure, built once the config names the vaults. */
  env: AzureEnvironment | undefined;
  emulatorOrigin: string | undefined;
}

async function locateEnvironment(options: CreateRotatorAppOptions): Promise<LocatedEnvironment> {
  if (options.env !== undefined) {
    const origin =
      options.emulatorOrigin ?? (options.env.mode === 'local' ? options.env.armEndpoint : undefined);
    return { env: options.env, emulatorOrigin: origin };
  }
  const stateDir = options.settings.LOCAL_STATE_DIR;
  if (existsSync(path.join(stateDir, 'endpoints.json'))) {
    const file = await loadEndpointsFile(stateDir);
    const env = await localEnvironmentFromEndpoints(file, stateDir);
    return { env, emulatorOrigin: options.emulatorOrigin ?? file.emulator.replace(/\/+$/, '') };
  }
  return { env: undefined, emulatorOrigin: undefined };
}

function cloudFromConfig(
  config: ResolvedConfig,
  settings: AppSettings,
  processEnv: Readonly<Record<string, string | undefined>>,
): AzureEnvironment {
  const accountName = processEnv.AzureWebJobsStorage__accountName?.trim();
  const storage =
    settings.AzureWebJobsStorage !== undefined
      ? { storageConnectionString: settings.AzureWebJobsStorage }
      : accountName
        ? { storageAccountName: accountName }
        : undefined;
  if (storage === undefined) {
    throw new RotationError(
      'ConfigInvalid',
      'AzureWebJobsStorage is not set: the rotator needs a storage account for its queue, leases and journal ' +
        '(locally `npm start` writes endpoints.json and uses Azurite).',
      { details: [{ path: 'AzureWebJobsStorage', message: 'is required' }] },
    );
  }
  return cloudEnvironment({
    vaults: config.vaults.map((v) => (v.url === undefined ? { name: v.name } : { name: v.name, url: v.url })),
    ...storage,
  });
}

/** Locally every configured vault must exist in the emulator (else every run would fail with 404). */
function checkLocalVaults(config: ResolvedConfig, env: LocalEnvironment): void {
  const details: ErrorDetail[] = [];
  config.vaults.forEach((vault, index) => {
    if (env.vaultUrls[vault.name] === undefined) {
      details.push({
        path: `$.vaults[${index}].name`,
        message: `vault "${vault.name}" is not served by the local emulator (known: ${Object.keys(env.vaultUrls).join(', ') || 'none'})`,
      });
    }
  });
  if (details.length > 0) {
    throw new RotationError(
      'ConfigInvalid',
      `the rotation config names vaults the local emulator does not serve:\n${details.map((d) => `  ${d.path}: ${d.message}`).join('\n')}`,
      { details },
    );
  }
}

async function defaultClock(env: AzureEnvironment, emulatorOrigin: string | undefined): Promise<Clock> {
  if (env.mode !== 'local') return systemClock;
  const clock = new EmulatorFollowingClock({ origin: emulatorOrigin ?? env.armEndpoint, caCert: env.caCert });
  await clock.sync();
  return clock;
}
