export { createMongoDbProvider } from './adapter.js';
export {
  type MongoConnectionString,
  type MongoHost,
  type ParseResult,
  parseConnectionString,
  type SrvResolution,
  scrubMongoText,
  srvTargetProblem,
  toSeedListUri,
} from './connection-string.js';
export {
  classifyDriverError,
  driverPing,
  type MongoDbProviderDeps,
  type PingOptions,
  resolveSrvUri,
} from './live-check.js';
export { MONGODB_ATLAS_URL, type MongoDbSettings, mongoDbSettingsSchema } from './settings.js';
