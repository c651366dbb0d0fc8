/**
 * The narrow ARM surface the Cognitive Services provider needs, and its implementation over
 * `@azure/arm-cognitiveservices` (`CognitiveServicesManagementClient.accounts`). The SDK is imported for
 * types only: the composition root builds the real client lazily (azure/ client factory).
 */
import type { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';

export type CognitiveKeyName = 'Key1' | 'Key2';

export interface CognitiveAccountInfo {
  /** `OpenAI`, `SpeechServices`, … */
  kind?: string;
  /** Data-plane endpoint (`properties.endpoint`), e.g. `https://name.openai.azure.com/`. */
  endpoint?: string;
}

export interface CognitiveKeys {
  key1?: string;
  key2?: string;
}

export interface CognitiveKeysClient {
  get(resourceGroup: string, accountName: string): Promise<CognitiveAccountInfo>;
  listKeys(resourceGroup: string, accountName: string): Promise<CognitiveKeys>;
  /** Regenerates one key; Azure answers with both keys. */
  regenerateKey(
    resourceGroup: string,
    accountName: string,
    keyName: CognitiveKeyName,
  ): Promise<CognitiveKeys>;
}

/** The part of the SDK client we call (structural, so tests can pass the real client or a stand-in). */
export type CognitiveServicesSdkClient = {
  accounts: Pick<CognitiveServicesManagementClient['accounts'], 'get' | 'listKeys' | 'regenerateKey'>;
};

export function cognitiveKeysClientFromSdk(client: CognitiveServicesSdkClient): CognitiveKeysClient {
  return {
    async get(resourceGroup, accountName) {
      const account = await client.accounts.get(resourceGroup, accountName);
      const info: CognitiveAccountInfo = {};
      if (account.kind !== undefined) info.kind = account.kind;
      if (account.properties?.endpoint !== undefined) info.endpoint = account.properties.endpoint;
      return info;
    },
    async listKeys(resourceGroup, accountName) {
      const { key1, key2 } = await client.accounts.listKeys(resourceGroup, accountName);
      return { key1, key2 };
    },
    async regenerateKey(resourceGroup, accountName, keyName) {
      const { key1, key2 } = await client.accounts.regenerateKey(resourceGroup, accountName, keyName);
      return { key1, key2 };
    },
  };
}

/**
 * `keysClient` for `createCognitiveServicesProvider` from anything with the azure/ client factory's
 * `cognitiveServicesClient(subscriptionId)` (structural: providers do not import azure/).
 */
export function cognitiveKeysClients(factory: {
  cognitiveServicesClient(subscriptionId: string): Promise<CognitiveServicesSdkClient>;
}): (subscriptionId: string) => Promise<CognitiveKeysClient> {
  return async (subscriptionId) =>
    cognitiveKeysClientFromSdk(await factory.cognitiveServicesClient(subscriptionId));
}
