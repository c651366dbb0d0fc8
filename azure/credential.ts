/**
 * Token credentials. Local mode uses a fixed fake token: the emulator accepts any bearer token, and
 * `DefaultAzureCredential` would probe the instance metadata service (169.254.169.254), which breaks the
 * "nothing contacts a non-loopback address" rule. `@azure/identity` is therefore loaded with a dynamic
 * `import()` and only in azure mode.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { AzureEnvironment } from './endpoints.js';

/** The token the local credential hands out; the emulator accepts any bearer token. */
export const LOCAL_TOKEN = 'local-emulator-token';

/** A `TokenCredential` that never leaves the process. For the local emulator only. */
export class StaticLocalCredential implements TokenCredential {
  async getToken(): Promise<AccessToken> {
    // Far in the future, so the SDK's refresh logic never runs.
    return { token: LOCAL_TOKEN, expiresOnTimestamp: Date.UTC(2999, 0, 1), tokenType: 'Bearer' };
  }
}

/** Loads `@azure/identity` and builds `DefaultAzureCredential` (managed identity in Azure, az login on a laptop). */
async function defaultAzureCredential(): Promise<TokenCredential> {
  const identity = await import('@azure/identity');
  return new identity.DefaultAzureCredential();
}

/**
 * A memoised credential getter for the environment. Nothing is loaded or constructed until the first call,
 * and in local mode never anything but `StaticLocalCredential`.
 */
export function credentialProvider(env: AzureEnvironment): () => Promise<TokenCredential> {
  if (env.mode === 'local') {
    const local = new StaticLocalCredential();
    return async () => local;
  }
  let pending: Promise<TokenCredential> | undefined;
  return () => {
    pending ??= defaultAzureCredential().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
