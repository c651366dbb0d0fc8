/**
 * The data-plane call that proves a Cognitive Services key works, chosen by account kind:
 * - `OpenAI` / `AIServices`: `GET {endpoint}openai/models?api-version=…` with `api-key` (lists models,
 *   changes nothing);
 * - everything else (`SpeechServices`, …): `POST {endpoint}sts/v1.0/issueToken` with
 *   `Ocp-Apim-Subscription-Key` (mints a 10-minute token, the standard key check for Cognitive Services).
 */
import { type ProbeRequest, withTrailingSlash } from '../shared/http-probe.js';
import { DEFAULT_OPENAI_API_VERSION } from './settings.js';

const OPENAI_KINDS = new Set(['openai', 'aiservices']);

export function usesOpenAiProbe(kind: string | undefined): boolean {
  return kind !== undefined && OPENAI_KINDS.has(kind.trim().toLowerCase());
}

export function cognitiveProbeRequest(input: {
  kind: string | undefined;
  endpoint: string;
  key: string;
  apiVersion?: string | undefined;
}): ProbeRequest {
  const base = withTrailingSlash(input.endpoint);
  if (usesOpenAiProbe(input.kind)) {
    const url = new URL('openai/models', base);
    url.searchParams.set('api-version', input.apiVersion ?? DEFAULT_OPENAI_API_VERSION);
    return { method: 'GET', url, headers: { 'api-key': input.key }, label: 'Azure OpenAI models call' };
  }
  return {
    method: 'POST',
    url: new URL('sts/v1.0/issueToken', base),
    headers: { 'ocp-apim-subscription-key': input.key },
    label: `${input.kind ?? 'Cognitive Services'} token call`,
  };
}
