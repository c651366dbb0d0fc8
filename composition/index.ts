/**
 * The composition root's public API. Function files import `./instance.js` directly (it loads the root
 * lazily, keeping cold starts free of SDKs); `npm start`, the CLI and tests may import from here.
 */
export type { GetApp, RotatorApp } from './app.js';
export { type ConfigCatalogOptions, ConfigSecretCatalog } from './catalog.js';
export {
  EmulatorFollowingClock,
  type EmulatorFollowingClockOptions,
  followClock,
  realSleep,
  SystemClock,
  systemClock,
} from './clock.js';
export { getRotatorApp, resetRotatorApp, setRotatorApp } from './instance.js';
export {
  createJsonLogger,
  type JsonLoggerOptions,
  type LogLevel,
  redactText,
  scrub,
  withFields,
} from './logger.js';
export {
  type CreateRotatorAppOptions,
  createRotatorApp,
  createRotatorAppFromEnv,
  FAST_ENGINE_TIMING,
  type TimingProfile,
} from './root.js';
export { createSettingResolver, type SettingValue } from './setting-resolver.js';
