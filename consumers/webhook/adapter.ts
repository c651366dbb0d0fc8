/** Signed JSON webhooks (consumers and alert channels share the sender). */

import { postJson, requireHttpUrl } from '../http.js';
import {
  type ResolveSetting,
  type SettingValueInput,
  type WebhookConsumerConfig,
  webhookConsumerSchema,
} from '../settings.js';
import type { ConsumerAdapter } from '../types.js';
import { signatureHeaders } from './sign.js';

export interface WebhookDeps {
  resolveSetting: ResolveSetting;
  requestTimeoutMs: number;
  /** Wall-clock unix seconds for the signature timestamp (default: `Date.now()`). */
  wallClockSeconds?: () => number;
}

export interface SignedPost {
  url: SettingValueInput;
  signingKey: SettingValueInput;
  body: unknown;
}

/** Resolves URL and key, signs the exact bytes sent, POSTs; returns a detail line. */
export async function sendSignedWebhook(deps: WebhookDeps, post: SignedPost): Promise<string> {
  const url = requireHttpUrl(await deps.resolveSetting(post.url), 'webhook url');
  const signingKey = await deps.resolveSetting(post.signingKey);
  const rawBody = JSON.stringify(post.body);
  const headers = signatureHeaders(signingKey, rawBody, deps.wallClockSeconds?.() ?? Date.now() / 1000);
  const result = await postJson(url, rawBody, { headers, timeoutMs: deps.requestTimeoutMs });
  return `webhook answered HTTP ${result.status}`;
}

export function createWebhookConsumer(deps: WebhookDeps): ConsumerAdapter<WebhookConsumerConfig> {
  return {
    kind: 'webhook',
    schema: webhookConsumerSchema,
    deliver: (config, delivery) =>
      sendSignedWebhook(deps, { url: config.url, signingKey: config.signingKey, body: delivery.message }),
  };
}
