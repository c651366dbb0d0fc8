/**
 * Hands the composition root what `npm start` knows before the host serves anything: the environment
 * (emulator endpoints and CA, Azurite, or the real Azure endpoints), the emulator's clock (so
 * fast-forwarding it moves the engine too, DESIGN.md Clock) and the console logger. The app is built
 * eagerly and installed with `setRotatorApp`, so a wiring problem stops `npm start` instead of failing
 * the first invocation, and `getRotatorApp()` never falls back to reading `endpoints.json` on its own.
 */
import { cloudEnvironment, type LocalEnvironment } from '../azure/index.js';
import { followClock, setRotatorApp } from '../composition/index.js';
import { createRotatorApp } from '../composition/root.js';
import type { ResolvedConfig } from '../rotation/config/index.js';
import type { Logger } from '../rotation/ports.js';
import type { AppSettings } from '../rotation/settings.js';

export interface LocalAppInput {
  settings: AppSettings;
  env: LocalEnvironment;
  /** The emulator's shared origin (manual providers' APIs live under it). */
  emulatorOrigin: string;
  clock: { now(): Date };
  log: Logger;
}

export async function configureLocalApp(input: LocalAppInput): Promise<void> {
  const app = createRotatorApp({
    settings: input.settings,
    env: input.env,
    emulatorOrigin: input.emulatorOrigin,
    clock: followClock(input.clock),
    log: input.log,
  });
  setRotatorApp(app);
  await app;
}

export interface AzureAppInput {
  settings: AppSettings;
  config: ResolvedConfig;
  processEnv: Readonly<Record<string, string | undefined>>;
  log: Logger;
}

/**
 * Azure mode: the environment is built here from the config's vault URLs and the storage setting, so a
 * stale `endpoints.json` under `LOCAL_STATE_DIR` can never turn the app local.
 */
export async function configureAzureApp(input: AzureAppInput): Promise<void> {
  const accountName = input.processEnv.AzureWebJobsStorage__accountName?.trim();
  const storage =
    input.settings.AzureWebJobsStorage !== undefined
      ? { storageConnectionString: input.settings.AzureWebJobsStorage }
      : { storageAccountName: accountName ?? '' };
  const env = cloudEnvironment({
    vaults: input.config.vaults.map((v) =>
      v.url === undefined ? { name: v.name } : { name: v.name, url: v.url },
    ),
    ...storage,
  });
  const app = createRotatorApp({
    settings: input.settings,
    env,
    log: input.log,
    processEnv: input.processEnv,
  });
  setRotatorApp(app);
  await app;
}
