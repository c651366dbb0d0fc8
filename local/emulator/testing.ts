/**
 * Test helpers for code that talks to the emulator: a static local credential, a SecretClient configured to
 * trust the emulator's CA (per client, never process-wide), and a small HTTPS caller for raw requests.
 */
import https from 'node:https';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';

/** Any bearer token is accepted by the emulator; this one never calls an identity endpoint. */
export const localCredential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({
    token: 'local-emulator-token',
    expiresOnTimestamp: Date.now() + 3_600_000,
  }),
};

/**
 * A SecretClient for an emulated vault. `disableChallengeResourceVerification` is needed because the vault
 * host is not `*.vault.azure.net`; `tlsOptions.ca` trusts the emulator's CA for this client only.
 */
export function emulatorSecretClient(
  vaultUrl: string,
  caCert: string,
  options: SecretClientOptions = {},
): SecretClient {
  return new SecretClient(vaultUrl, localCredential, {
    ...options,
    tlsOptions: { ...options.tlsOptions, ca: caCert },
    disableChallengeResourceVerification: true,
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): unknown;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON unless a string. */
  body?: unknown;
  /** Abort after this many ms (default 10 s). */
  timeoutMs?: number;
}

/** One HTTPS request to the emulator (no keep-alive, so nothing lingers after a test). */
export function emulatorRequest(url: string, caCert: string, request: RawRequest = {}): Promise<RawResponse> {
  const payload =
    request.body === undefined
      ? undefined
      : Buffer.from(typeof request.body === 'string' ? request.body : JSON.stringify(request.body), 'utf8');
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: request.method ?? 'GET',
        ca: caCert,
        agent: false,
        timeout: request.timeoutMs ?? 10_000,
        headers: {
          ...(payload
            ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) }
            : {}),
          ...request.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}
