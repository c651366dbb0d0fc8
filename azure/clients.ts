/**
 * The one place that builds Azure SDK clients (DESIGN.md, Layout).
 *
 * Every getter is lazy: the SDK module is loaded with a dynamic `import()` on first use and the client is
 * cached, so registering functions or starting the CLI loads no SDK (loading them all eagerly costs ~6.8× a
 * bare Node start). Local mode trusts the emulator's CA per client and uses a static credential.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { TableClient } from '@azure/data-tables';
import type { EventGridPublisherClient, InputSchema } from '@azure/eventgrid';
import type { SecretClient } from '@azure/keyvault-secrets';
import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import { RotationError } from '../rotation/errors.js';
import { credentialProvider } from './credential.js';
import { type AzureEnvironment, isLoopbackHost, vaultUrlOf } from './endpoints.js';
import {
  type RetryTiming,
  resolveTiming,
  restPipelineOptions,
  storageRetryOptions,
  type TimingOption,
} from './tls.js';

type CognitiveServicesManagementClient =
  import('@azure/arm-cognitiveservices').CognitiveServicesManagementClient;
type CommunicationServiceManagementClient =
  import('@azure/arm-communication').CommunicationServiceManagementClient;
type WebSiteManagementClient = import('@azure/arm-appservice').WebSiteManagementClient;

export interface ClientFactoryOptions {
  /** Retry limits; `'fast'` for tests. */
  timing?: TimingOption;
  /** Overrides the credential (tests). Defaults to the environment's credential. */
  credential?: () => Promise<TokenCredential>;
}

export interface ClientFactory {
  readonly env: AzureEnvironment;
  readonly timing: RetryTiming;
  credential(): Promise<TokenCredential>;
  /** Unknown vault → `RotationError(ResourceNotFound)`. Names are case-insensitive. */
  secretClient(vault: string): Promise<SecretClient>;
  cognitiveServicesClient(subscriptionId: string): Promise<CognitiveServicesManagementClient>;
  communicationClient(subscriptionId: string): Promise<CommunicationServiceManagementClient>;
  webSiteClient(subscriptionId: string): Promise<WebSiteManagementClient>;
  tableClient(table: string): Promise<TableClient>;
  blobContainer(container: string): Promise<ContainerClient>;
  queueClient(queue: string): Promise<QueueClient>;
  /** Publisher for an Event Grid topic with an access key. Local mode only accepts loopback endpoints. */
  eventGridPublisher<S extends InputSchema>(
    endpoint: string,
    key: string,
    schema: S,
  ): Promise<EventGridPublisherClient<S>>;
}

/** Key Vault DNS suffixes where the SDK's challenge-resource check holds; anything else disables it. */
const KEY_VAULT_SUFFIX = /\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)$/i;

/** Memoises one async value per key, forgetting failures so a later call retries. */
function memo<T>(): (key: string, build: () => Promise<T>) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key, build) => {
    let pending = cache.get(key);
    if (!pending) {
      pending = build().catch((error: unknown) => {
        cache.delete(key);
        throw error;
      });
      cache.set(key, pending);
    }
    return pending;
  };
}

function checkEndpoint(env: AzureEnvironment, what: string, endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new RotationError('ConfigInvalid', `${what} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new RotationError('ConfigInvalid', `${what} must use https`);
  if (env.mode === 'local' && !isLoopbackHost(url.hostname)) {
    throw new RotationError(
      'ConfigInvalid',
      `${what} must be a loopback address in local mode (got ${url.hostname})`,
    );
  }
}

function storageUrl(account: string, service: 'blob' | 'queue' | 'table'): string {
  return `https://${account}.${service}.core.windows.net`;
}

export function createClientFactory(
  env: AzureEnvironment,
  options: ClientFactoryOptions = {},
): ClientFactory {
  const timing = resolveTiming(options.timing);
  const credential = options.credential ?? credentialProvider(env);
  const rest = () => restPipelineOptions(env, timing);
  const cached = memo<unknown>();
  const once = <T>(key: string, build: () => Promise<T>) => cached(key, build) as Promise<T>;
  const connectionString = env.storageConnectionString;
  const accountName = env.mode === 'azure' ? env.storageAccountName : undefined;

  const armOptions = () => ({ ...rest(), endpoint: env.armEndpoint, $host: env.armEndpoint });

  return {
    env,
    timing,
    credential,

    secretClient(vault) {
      const name = vault.toLowerCase();
      let url: string;
      try {
        url = vaultUrlOf(env, name);
      } catch (error) {
        return Promise.reject(error);
      }
      return once(`kv:${name}`, async () => {
        const { SecretClient } = await import('@azure/keyvault-secrets');
        const disableChallengeResourceVerification = !KEY_VAULT_SUFFIX.test(new URL(url).hostname);
        return new SecretClient(url, await credential(), { ...rest(), disableChallengeResourceVerification });
      });
    },

    cognitiveServicesClient(subscriptionId) {
      return once(`cog:${subscriptionId}`, async () => {
        const { CognitiveServicesManagementClient } = await import('@azure/arm-cognitiveservices');
        return new CognitiveServicesManagementClient(await credential(), subscriptionId, armOptions());
      });
    },

    communicationClient(subscriptionId) {
      return once(`acs:${subscriptionId}`, async () => {
        const { CommunicationServiceManagementClient } = await import('@azure/arm-communication');
        return new CommunicationServiceManagementClient(await credential(), subscriptionId, armOptions());
      });
    },

    webSiteClient(subscriptionId) {
      return once(`web:${subscriptionId}`, async () => {
        const { WebSiteManagementClient } = await import('@azure/arm-appservice');
        // This client honours only `endpoint` (not `baseUri` / `$host`).
        return new WebSiteManagementClient(await credential(), subscriptionId, {
          ...rest(),
          endpoint: env.armEndpoint,
        });
      });
    },

    tableClient(table) {
      return once(`table:${table}`, async () => {
        const { TableClient } = await import('@azure/data-tables');
        const tableOptions = { retryOptions: rest().retryOptions };
        if (connectionString !== undefined) {
          // Azurite speaks plain http on loopback; real accounts use https and ignore this flag.
          return TableClient.fromConnectionString(connectionString, table, {
            ...tableOptions,
            allowInsecureConnection: env.mode === 'local',
          });
        }
        return new TableClient(storageUrl(accountName!, 'table'), table, await credential(), tableOptions);
      });
    },

    blobContainer(container) {
      return once(`blob:${container}`, async () => {
        const { BlobServiceClient } = await import('@azure/storage-blob');
        const retryOptions = storageRetryOptions(timing);
        const service =
          connectionString !== undefined
            ? BlobServiceClient.fromConnectionString(connectionString, { retryOptions })
            : new BlobServiceClient(storageUrl(accountName!, 'blob'), await credential(), { retryOptions });
        return service.getContainerClient(container);
      });
    },

    queueClient(queue) {
      return once(`queue:${queue}`, async () => {
        const { QueueServiceClient } = await import('@azure/storage-queue');
        const retryOptions = storageRetryOptions(timing);
        const service =
          connectionString !== undefined
            ? QueueServiceClient.fromConnectionString(connectionString, { retryOptions })
            : new QueueServiceClient(storageUrl(accountName!, 'queue'), await credential(), { retryOptions });
        return service.getQueueClient(queue);
      });
    },

    eventGridPublisher(endpoint, key, schema) {
      try {
        checkEndpoint(env, 'Event Grid endpoint', endpoint);
      } catch (error) {
        return Promise.reject(error);
      }
      // Not cached: the topic key may itself be rotated, and a cache key must never hold it.
      return (async () => {
        const [{ EventGridPublisherClient }, { AzureKeyCredential }] = await Promise.all([
          import('@azure/eventgrid'),
          import('@azure/core-auth'),
        ]);
        return new EventGridPublisherClient(endpoint, schema, new AzureKeyCredential(key), rest());
      })();
    },
  };
}
