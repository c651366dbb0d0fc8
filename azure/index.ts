/**
 * Azure adapters for the engine's ports, and the client factory behind them. Importing this module loads
 * no Azure SDK: every SDK is imported on first use by `createClientFactory`'s getters.
 */
import type { Journal, LockManager, RunQueue, SecretStore } from '../rotation/ports.js';
import type { ClientFactory } from './clients.js';
import { JOURNAL_TABLE, TableJournal } from './journal.js';
import { BlobLockManager, LOCK_CONTAINER } from './lock.js';
import { RUN_POISON_QUEUE, RUN_QUEUE, StorageRunQueue } from './queue.js';
import { KeyVaultSecretStore } from './secret-store.js';

export { type ClientFactory, type ClientFactoryOptions, createClientFactory } from './clients.js';
export { credentialProvider, LOCAL_TOKEN, StaticLocalCredential } from './credential.js';
export {
  AZURE_ARM_ENDPOINT,
  type AzureEnvironment,
  assertLocalOnly,
  type CloudEnvironment,
  type CloudEnvironmentInput,
  cloudEnvironment,
  type EndpointsFile,
  endpointsFileSchema,
  isLoopbackHost,
  type LocalEnvironment,
  loadEndpointsFile,
  loadLocalEnvironment,
  localEnvironment,
  localEnvironmentFromEndpoints,
  vaultUrlOf,
} from './endpoints.js';
export { type AzureErrorSummary, summarizeAzureError, type WrapContext, wrapAzureError } from './errors.js';
export { escapeTableKey, JOURNAL_TABLE, journalPartitionKey, TableJournal } from './journal.js';
export { BlobLockManager, groupLockKey, LOCK_CONTAINER, lockBlobName } from './lock.js';
export {
  decodeRunMessage,
  encodeRunMessage,
  RUN_POISON_QUEUE,
  RUN_QUEUE,
  runRequestSchema,
  StorageRunQueue,
} from './queue.js';
export { KeyVaultSecretStore } from './secret-store.js';
export { DEFAULT_TIMING, FAST_TIMING, type RetryTiming, type TimingOption } from './tls.js';

export interface AzureAdapters {
  store: SecretStore;
  journal: Journal;
  locks: LockManager;
  queue: RunQueue;
}

/** The storage and Key Vault ports over one client factory (both hosts and the CLI use this). */
export function createAzureAdapters(factory: ClientFactory): AzureAdapters {
  return {
    store: new KeyVaultSecretStore(factory),
    journal: new TableJournal(() => factory.tableClient(JOURNAL_TABLE)),
    locks: new BlobLockManager(() => factory.blobContainer(LOCK_CONTAINER)),
    queue: new StorageRunQueue(
      () => factory.queueClient(RUN_QUEUE),
      () => factory.queueClient(RUN_POISON_QUEUE),
    ),
  };
}
