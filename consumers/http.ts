/**
 * Outgoing HTTP for webhooks, chat and health checks (axios). Bodies are sent exactly as given (the webhook
 * signature covers the raw bytes), redirects are not followed for POSTs (a redirect must not carry a signed
 * body or a token-bearing URL elsewhere), and failures are reduced to status, code and message by the
 * caller through `describeError`: axios errors carry the request config, whose URL may hold a token.
 *
 * axios is loaded on first use, like the SDKs: registering functions should not pay for it.
 */
import { RotationError } from '../rotation/errors.js';
import { isAllowedUrl } from './settings.js';

export interface PostResult {
  status: number;
}

type Axios = typeof import('axios').default;
let axiosModule: Promise<Axios> | undefined;

/** axios, loaded on the first request and kept (a failed load is retried on the next). */
function loadAxios(): Promise<Axios> {
  axiosModule ??= import('axios').then(
    (module) => module.default,
    (error: unknown) => {
      axiosModule = undefined;
      throw error;
    },
  );
  return axiosModule;
}

/** POSTs a pre-serialised JSON body; resolves on 2xx, throws an axios error otherwise. */
export async function postJson(
  url: string,
  rawBody: string,
  options: { headers?: Record<string, string>; timeoutMs: number },
): Promise<PostResult> {
  const axios = await loadAxios();
  const response = await axios.post(url, rawBody, {
    headers: { 'content-type': 'application/json; charset=utf-8', ...options.headers },
    timeout: options.timeoutMs,
    maxRedirects: 0,
    transformRequest: [(data: unknown) => data],
    // The body of a receiver's answer is not needed; keep it from being parsed into errors.
    responseType: 'text',
    validateStatus: (status) => status >= 200 && status < 300,
  });
  return { status: response.status };
}

/** GETs a URL and reports its status without throwing for non-2xx (health checks). */
export async function getStatus(url: string, timeoutMs: number): Promise<number> {
  const axios = await loadAxios();
  const response = await axios.get(url, {
    timeout: timeoutMs,
    responseType: 'text',
    validateStatus: () => true,
  });
  return response.status;
}

/** Checks a resolved URL setting (a `{ secretRef }` is checked only once resolved). Never echoes it. */
export function requireHttpUrl(value: string, what: string): string {
  if (!isAllowedUrl(value)) {
    throw new RotationError('ConfigInvalid', `${what} must be an https:// URL (http:// only for localhost)`);
  }
  return value;
}
