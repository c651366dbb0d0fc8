/**
 * The bearer-key check shared by OpenAI-compatible APIs (Together AI, Groq, DeepSeek, Qwen DashScope
 * compatible mode): `GET {baseUrl}/models` with `Authorization: Bearer <key>`, what every OpenAI client
 * does first. It lists models and changes nothing.
 *
 * - 2xx with a models listing (`{ data: [...] }` or a bare array, as Together answers) → ok;
 * - 401/403 → rejected, with the provider's own message (secrets redacted, cut to 200 characters);
 * - 429, 5xx, timeouts, refused/reset connections → unavailable (with `Retry-After` when sent);
 * - any other status, or a 2xx that is not a models listing (a proxy's HTML page) → unavailable: the
 *   base URL is probably wrong, which is not proof that the key is bad.
 */
import type { ValidationResult } from '../../rotation/ports.js';
import { type DataPlaneOptions, httpCheck, parseJsonBody, providerMessage, trimBaseUrl } from './http.js';
import { rejected, unavailable } from './manual.js';

export interface BearerModelsCheck {
  /** Provider name for reasons, e.g. `Groq`. */
  label: string;
  baseUrl: string;
  key: string;
  timeoutMs: number;
  now: Date;
  dataPlane?: DataPlaneOptions | undefined;
  signal?: AbortSignal | undefined;
}

function isModelsListing(body: string): boolean {
  const json = parseJsonBody(body);
  if (Array.isArray(json)) return true;
  return !!json && typeof json === 'object' && Array.isArray((json as { data?: unknown }).data);
}

/** `{baseUrl}/models` (the base keeps its path: `https://api.groq.com/openai/v1` → `…/openai/v1/models`). */
export function modelsUrl(baseUrl: string): URL {
  return new URL(`${trimBaseUrl(baseUrl)}/models`);
}

export async function checkBearerModels(check: BearerModelsCheck): Promise<ValidationResult> {
  const what = `${check.label} models call`;
  const outcome = await httpCheck(
    { method: 'GET', url: modelsUrl(check.baseUrl), headers: { authorization: `Bearer ${check.key}` } },
    { dataPlane: check.dataPlane, timeoutMs: check.timeoutMs, now: check.now, signal: check.signal },
  );
  if (outcome.kind === 'failed') return unavailable(`${what}: ${outcome.why}`);
  const { status, body, retryAfterSeconds } = outcome;
  if (status >= 200 && status < 300) {
    return isModelsListing(body)
      ? { ok: true }
      : unavailable(`${what} answered HTTP ${status} without a models listing; check the baseUrl setting`);
  }
  if (status === 401 || status === 403) {
    const message = providerMessage(body, [check.key]);
    return rejected(`${check.label} rejected the key (HTTP ${status}${message ? `: ${message}` : ''})`);
  }
  if (status === 429 || status >= 500) {
    return unavailable(`${what} unavailable (HTTP ${status})`, retryAfterSeconds);
  }
  return unavailable(
    `${what} answered HTTP ${status}; cannot tell whether the key works (check the baseUrl setting)`,
    retryAfterSeconds,
  );
}
