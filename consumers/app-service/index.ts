export { type AppServiceDeps, createAppServiceConsumer } from './adapter.js';
export { RestartCoalescer, type RestartReceipt } from './coalescer.js';
export { type HealthPollOptions, waitUntilHealthy } from './health.js';
export { parseSiteId, type SiteId, siteResourceId, siteSlotKey, slotName } from './resource-id.js';
export {
  createSdkSiteRestarter,
  type RestartOptions,
  type SdkSiteRestarterDeps,
  type SiteRestarter,
  type WebAppsRestartClient,
} from './restarter.js';
