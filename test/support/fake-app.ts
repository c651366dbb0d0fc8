/**
 * A `RotatorApp` over the in-memory fakes, for testing function handlers, reports and the CLI without
 * Azure, Azurite or the emulator. The config is a real `rotation.json` document, resolved by the real
 * loader; the engine's ports are the fakes of `rotation/fakes`, shared through `world`.
 */
import type { GetApp, RotatorApp } from '../../composition/app.js';
import { parseConfig } from '../../rotation/config/index.js';
import type { EngineSettings } from '../../rotation/engine/index.js';
import { FakeWorld } from '../../rotation/fakes/index.js';
import type { ProviderRegistry } from '../../rotation/ports.js';
import { loadSettings } from '../../rotation/settings.js';

export interface FakeAppOptions {
  /** A rotation.json document (object). Defaults to one vault with a JWT secret. */
  config?: unknown;
  providers?: ProviderRegistry;
  settings?: Partial<EngineSettings>;
  env?: Record<string, string>;
  start?: string;
}

export interface FakeApp {
  app: RotatorApp;
  world: FakeWorld;
  getApp: GetApp;
}

export const DEFAULT_FAKE_CONFIG = {
  vaults: [{ name: 'kv-test' }],
  secrets: {
    'jwt-secret-key': { provider: 'jwt-secret', settings: {} },
  },
};

export function createFakeApp(options: FakeAppOptions = {}): FakeApp {
  const config = parseConfig(options.config ?? DEFAULT_FAKE_CONFIG);
  const world = new FakeWorld({
    groups: config.groups,
    ...(options.providers ? { providers: options.providers } : {}),
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.start ? { start: options.start } : {}),
  });
  const app: RotatorApp = {
    settings: loadSettings({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ...options.env }),
    config,
    engine: world.deps,
    log: world.log,
    mode: 'local',
  };
  return { app, world, getApp: async () => app };
}
