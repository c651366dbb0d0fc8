/**
 * Cognitive Services data planes under `/cs/{account}/`: Azure OpenAI's model list (`api-key`) and the
 * Speech token endpoint (`Ocp-Apim-Subscription-Key`). Keys are checked against the account's current keys.
 */
import { randomBytes } from 'node:crypto';
import { header, json } from '../arm/http.js';
import type { ArmModule } from '../arm/index.js';
import type { EmulatorContext, EmulatorResponse, Route } from '../types.js';
import { keyMatches } from './compare.js';

const TYPE = 'Microsoft.CognitiveServices/accounts';
const OPENAI_KINDS = new Set(['openai', 'aiservices']);
const SPEECH_KINDS = new Set(['speechservices', 'cognitiveservices', 'aiservices']);

const INVALID_KEY =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an ' +
  'active subscription and use a correct regional API endpoint for your resource.';
const MISSING_KEY =
  'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.';

function accessDenied(message: string): EmulatorResponse {
  return json(401, { error: { code: '401', message } });
}

const resourceNotFound = () => json(404, { error: { code: '404', message: 'Resource not found' } });

export function cognitiveDataRoutes(ctx: EmulatorContext, arm: ArmModule): Route[] {
  /** Resolves the account and checks the key header; undefined means "go on". */
  const check = (
    name: string,
    kinds: Set<string>,
    presented: string | undefined,
  ): EmulatorResponse | undefined => {
    const account = arm.findAccount(TYPE, name);
    if (!account || !kinds.has((account.kind ?? '').toLowerCase())) return resourceNotFound();
    if (!presented) return accessDenied(MISSING_KEY);
    const keys = arm.currentKeysByName(TYPE, name) ?? [];
    return keyMatches(keys, presented) ? undefined : accessDenied(INVALID_KEY);
  };
  return [
    {
      method: 'GET',
      pattern: '/cs/:name/openai/models',
      handler: (req, params) => {
        const denied = check(params.name ?? '', OPENAI_KINDS, header(req, 'api-key'));
        if (denied) return denied;
        if (!req.url.searchParams.get('api-version')) {
          return json(404, { error: { code: '404', message: 'Resource not found' } });
        }
        return json(200, { data: openAiModels(ctx.clock.now()), object: 'list' });
      },
    },
    {
      method: 'POST',
      pattern: '/cs/:name/sts/v1.0/issueToken',
      handler: (req, params) => {
        const name = params.name ?? '';
        const denied = check(name, SPEECH_KINDS, header(req, 'ocp-apim-subscription-key'));
        if (denied) return denied;
        const account = arm.findAccount(TYPE, name);
        return {
          status: 200,
          headers: { 'content-type': 'application/jwt; charset=us-ascii' },
          body: speechToken(ctx.clock.now(), account?.id ?? name),
        };
      },
    },
  ];
}

function openAiModels(now: Date): unknown[] {
  const created = Math.floor(now.getTime() / 1000) - 86_400 * 90;
  const model = (id: string, chat: boolean) => ({
    id,
    status: 'succeeded',
    created_at: created,
    updated_at: created,
    object: 'model',
    capabilities: {
      fine_tune: false,
      inference: true,
      completion: false,
      chat_completion: chat,
      embeddings: !chat,
    },
    lifecycle_status: 'generally-available',
    deprecation: { inference: created + 86_400 * 365 },
  });
  return [
    model('gpt-4o-2024-08-06', true),
    model('gpt-4o-mini-2024-07-18', true),
    model('text-embedding-3-small', false),
  ];
}

/** A JWT-shaped token like the Speech STS issues (10 minutes); the signature is random bytes. */
function speechToken(now: Date, resourceId: string): string {
  const iat = Math.floor(now.getTime() / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = part({ alg: 'HS256', kid: 'key1', typ: 'JWT' });
  const body = part({
    region: 'eastus',
    'subscription-id': randomBytes(16).toString('hex'),
    'product-id': 'SpeechServices.S0',
    'azure-resource-id': resourceId,
    scope: 'speechservices',
    aud: 'urn:ms.speechservices.eastus',
    exp: iat + 600,
    iss: 'urn:ms.cognitiveservices',
  });
  return `${head}.${body}.${randomBytes(32).toString('base64url')}`;
}
