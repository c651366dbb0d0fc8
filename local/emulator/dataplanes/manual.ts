/**
 * Data planes of the manual providers, each answering the way its real API does: a models listing for
 * the LLM providers (Bearer key), payments for Razorpay (basic auth), siteverify for reCAPTCHA.
 */
import { randomUUID } from 'node:crypto';
import { header, json } from '../arm/http.js';
import type { EmulatorContext, EmulatorRequest, EmulatorResponse, Route } from '../types.js';
import type { CredentialStore } from './credentials.js';
import type { ManualDataPlaneKind } from './types.js';

function bearer(req: EmulatorRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header(req, 'authorization') ?? '');
  return match?.[1];
}

function openAiList(ids: string[], ownedBy: string, created: number, extra: Record<string, unknown> = {}) {
  return {
    object: 'list',
    data: ids.map((id) => ({ id, object: 'model', created, owned_by: ownedBy, ...extra })),
  };
}

interface BearerProvider {
  kind: ManualDataPlaneKind;
  pattern: string;
  ok: (nowSeconds: number) => unknown;
  denied: (presented: string | undefined) => unknown;
}

const BEARER_PROVIDERS: BearerProvider[] = [
  {
    kind: 'together-ai',
    pattern: '/together/v1/models',
    // Together answers a bare array of model objects.
    ok: (now) =>
      ['meta-llama/Llama-3.3-70B-Instruct-Turbo', 'deepseek-ai/DeepSeek-V3'].map((id) => ({
        id,
        object: 'model',
        created: now - 86_400 * 60,
        type: 'chat',
        display_name: id.split('/')[1],
        organization: id.split('/')[0],
        context_length: 131_072,
      })),
    denied: () => ({
      error: {
        message:
          'Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    }),
  },
  {
    kind: 'groq',
    pattern: '/groq/openai/v1/models',
    ok: (now) =>
      openAiList(['llama-3.1-8b-instant', 'llama-3.3-70b-versatile'], 'Meta', now - 86_400 * 60, {
        active: true,
        context_window: 131_072,
        public_apps: null,
      }),
    denied: () => ({
      error: { message: 'Invalid API Key', type: 'invalid_request_error', code: 'invalid_api_key' },
    }),
  },
  {
    kind: 'deepseek',
    pattern: '/deepseek/models',
    ok: () => ({
      object: 'list',
      data: ['deepseek-chat', 'deepseek-reasoner'].map((id) => ({
        id,
        object: 'model',
        owned_by: 'deepseek',
      })),
    }),
    denied: (presented) => ({
      error: {
        message: presented
          ? `Authentication Fails, Your api key: ****${presented.slice(-4)} is invalid`
          : 'Authentication Fails, no api key provided',
        type: 'authentication_error',
        param: null,
        code: 'invalid_request_error',
      },
    }),
  },
  {
    kind: 'qwen',
    pattern: '/qwen/compatible-mode/v1/models',
    ok: (now) => openAiList(['qwen-plus', 'qwen-max', 'qwen-turbo'], 'system', now - 86_400 * 60),
    denied: () => ({
      error: {
        message: 'Incorrect API key provided. ',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
      request_id: randomUUID(),
    }),
  },
];

const razorpayError = (description: string) =>
  json(401, {
    error: {
      code: 'BAD_REQUEST_ERROR',
      description,
      source: 'NA',
      step: 'NA',
      reason: 'NA',
      metadata: {},
      field: 'NA',
    },
  });

/** Reads `secret` and `response` from a form body or the query string, as siteverify accepts both. */
function siteverifyParams(req: EmulatorRequest): { secret?: string; response?: string } {
  const form = new URLSearchParams(req.body.toString('utf8'));
  const pick = (name: string) => form.get(name) ?? req.url.searchParams.get(name) ?? undefined;
  return { secret: pick('secret') || undefined, response: pick('response') || undefined };
}

export function manualRoutes(ctx: EmulatorContext, credentials: CredentialStore): Route[] {
  const nowSeconds = () => Math.floor(ctx.clock.now().getTime() / 1000);
  const routes: Route[] = BEARER_PROVIDERS.map((p) => ({
    method: 'GET',
    pattern: p.pattern,
    handler: (req): EmulatorResponse => {
      const presented = bearer(req);
      return presented && credentials.isLive(p.kind, presented)
        ? json(200, p.ok(nowSeconds()))
        : json(401, p.denied(presented));
    },
  }));
  routes.push({
    method: 'GET',
    pattern: '/razorpay/v1/payments',
    handler: (req) => {
      const match = /^Basic\s+(\S+)\s*$/i.exec(header(req, 'authorization') ?? '');
      if (!match?.[1]) return razorpayError('Please provide your api key for authentication purposes.');
      const pair = Buffer.from(match[1], 'base64').toString('utf8');
      if (!credentials.isLive('razorpay', pair)) return razorpayError('The api key provided is invalid');
      return json(200, { entity: 'collection', count: 0, items: [] });
    },
  });
  routes.push({
    method: 'POST',
    pattern: '/recaptcha/api/siteverify',
    handler: (req) => {
      const { secret, response } = siteverifyParams(req);
      const codes: string[] = [];
      if (!secret) codes.push('missing-input-secret');
      else if (!credentials.isLive('recaptcha', secret)) codes.push('invalid-input-secret');
      // No token minted here is ever genuine: a good secret with any token yields invalid-input-response.
      else codes.push(response ? 'invalid-input-response' : 'missing-input-response');
      return json(200, { success: false, 'error-codes': codes });
    },
  });
  return routes;
}
