/**
 * The narrow ARM surface the Communication provider needs, and its implementation over
 * `@azure/arm-communication` (`CommunicationServiceManagementClient.communicationServices`). Type-only
 * SDK import: the composition root builds the real client lazily (azure/ client factory).
 */
import type { CommunicationServiceManagementClient } from '@azure/arm-communication';

export type CommunicationKeyType = 'Primary' | 'Secondary';

export interface CommunicationResourceInfo {
  /** FQDN of the data plane (`name.communication.azure.com`), without scheme. */
  hostName?: string;
}

/** listKeys returns all four fields; regenerateKey only the regenerated key and its connection string. */
export interface CommunicationKeys {
  primaryKey?: string;
  secondaryKey?: string;
  primaryConnectionString?: string;
  secondaryConnectionString?: string;
}

export interface CommunicationKeysClient {
  get(resourceGroup: string, name: string): Promise<CommunicationResourceInfo>;
  listKeys(resourceGroup: string, name: string): Promise<CommunicationKeys>;
  regenerateKey(
    resourceGroup: string,
    name: string,
    keyType: CommunicationKeyType,
  ): Promise<CommunicationKeys>;
}

/** The part of the SDK client we call. */
export type CommunicationSdkClient = {
  communicationServices: Pick<
    CommunicationServiceManagementClient['communicationServices'],
    'get' | 'listKeys' | 'regenerateKey'
  >;
};

function keysOf(response: CommunicationKeys): CommunicationKeys {
  const keys: CommunicationKeys = {};
  if (response.primaryKey !== undefined) keys.primaryKey = response.primaryKey;
  if (response.secondaryKey !== undefined) keys.secondaryKey = response.secondaryKey;
  if (response.primaryConnectionString !== undefined)
    keys.primaryConnectionString = response.primaryConnectionString;
  if (response.secondaryConnectionString !== undefined) {
    keys.secondaryConnectionString = response.secondaryConnectionString;
  }
  return keys;
}

export function communicationKeysClientFromSdk(client: CommunicationSdkClient): CommunicationKeysClient {
  return {
    async get(resourceGroup, name) {
      const resource = await client.communicationServices.get(resourceGroup, name);
      return resource.hostName === undefined ? {} : { hostName: resource.hostName };
    },
    async listKeys(resourceGroup, name) {
      return keysOf(await client.communicationServices.listKeys(resourceGroup, name));
    },
    async regenerateKey(resourceGroup, name, keyType) {
      return keysOf(await client.communicationServices.regenerateKey(resourceGroup, name, { keyType }));
    },
  };
}

/**
 * `keysClient` for `createCommunicationProvider` from anything with the azure/ client factory's
 * `communicationClient(subscriptionId)` (structural: providers do not import azure/).
 */
export function communicationKeysClients(factory: {
  communicationClient(subscriptionId: string): Promise<CommunicationSdkClient>;
}): (subscriptionId: string) => Promise<CommunicationKeysClient> {
  return async (subscriptionId) =>
    communicationKeysClientFromSdk(await factory.communicationClient(subscriptionId));
}
