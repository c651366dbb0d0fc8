/**
 * Key Vault secrets routes for one vault origin, faithful enough that `@azure/keyvault-secrets` works
 * unchanged: the bearer challenge, set/get/list/versions/update/delete/deleted/recover/purge, paging.
 */
import { z } from 'zod';
import { HttpError } from '../core/http-error.js';
import type { EmulatorRequest, EmulatorResponse, Route } from '../types.js';
import { pageOf } from './paging.js';
import {
  deletedBundle,
  deletedItem,
  secretBundle,
  secretItem,
  secretProperties,
  versionItem,
} from './shapes.js';
import type { VaultStore } from './store.js';

/** Tenant named in the challenge; the SDK passes it to the credential, which locally ignores it. */
export const LOCAL_TENANT_ID = '00000000-0000-0000-0000-000000000000';

/** Vault-side service version header (what the recorded service sent). */
const SERVICE_VERSION = '1.9.331.5';

/**
 * Key Vault's challenge for a request without a bearer token. The SDK first sends every request without a
 * token and body, reads `authorization` (tenant) and `resource` (scope) from this header, then retries.
 */
export function keyVaultChallenge(req: EmulatorRequest): EmulatorResponse | undefined {
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string' && /^(Bearer|PoP)\s+\S+/i.test(authorization)) return undefined;
  return {
    status: 401,
    headers: {
      'WWW-Authenticate': `Bearer authorization="https://login.windows.net/${LOCAL_TENANT_ID}", resource="https://vault.azure.net"`,
      'x-ms-keyvault-service-version': SERVICE_VERSION,
    },
    body: {
      error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
    },
  };
}

const attributesSchema = z.object({
  enabled: z.boolean().nullish(),
  nbf: z.number().nullish(),
  exp: z.number().nullish(),
});
const tagsSchema = z.record(z.string(), z.string()).nullish();
const setSchema = z.object({
  value: z.string({ error: 'Property value is required.' }),
  contentType: z.string().nullish(),
  tags: tagsSchema,
  attributes: attributesSchema.nullish(),
});
const updateSchema = z.object({
  contentType: z.string().nullish(),
  tags: tagsSchema,
  attributes: attributesSchema.nullish(),
});

function parseBody<T>(req: EmulatorRequest, schema: z.ZodType<T>): T {
  const text = req.body.toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'BadParameter', 'The request body is missing.');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new HttpError(400, 'BadParameter', 'The request body is not valid JSON.');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw new HttpError(
      400,
      'BadParameter',
      `Property ${where} has invalid value: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

function requireApiVersion(req: EmulatorRequest): void {
  // Any version is accepted (the SDK sends 2025-07-01 or 7.x); a missing one is an error, as in Azure.
  if (!req.url.searchParams.get('api-version')) {
    throw new HttpError(400, 'BadParameter', 'The api-version query parameter is missing.');
  }
}

const ok = (body: unknown): EmulatorResponse => ({
  status: 200,
  headers: { 'x-ms-keyvault-service-version': SERVICE_VERSION, 'Cache-Control': 'no-cache' },
  body,
});

/** Routes of one vault. `vaultUrl()` is the vault's origin (ids and nextLinks are built from it). */
export function createVaultRoutes(store: VaultStore, vaultUrl: () => string): Route[] {
  const guard =
    (handler: (req: EmulatorRequest, params: Record<string, string>) => EmulatorResponse) =>
    (req: EmulatorRequest, params: Record<string, string>): EmulatorResponse => {
      requireApiVersion(req);
      return handler(req, params);
    };
  return [
    {
      method: 'GET',
      pattern: '/secrets',
      handler: guard((req) =>
        ok(
          pageOf(
            store.list(),
            (s) => s.name.toLowerCase(),
            (s) => secretItem(vaultUrl(), s),
            req.url,
            vaultUrl(),
          ),
        ),
      ),
    },
    {
      method: 'PUT',
      pattern: '/secrets/:name',
      handler: guard((req, p) => {
        const { secret, version } = store.set(p.name!, parseBody(req, setSchema));
        return ok(secretBundle(vaultUrl(), secret, version));
      }),
    },
    {
      method: 'DELETE',
      pattern: '/secrets/:name',
      handler: guard((_req, p) => ok(deletedBundle(vaultUrl(), store.delete(p.name!)))),
    },
    {
      method: 'GET',
      pattern: '/secrets/:name/versions',
      handler: guard((req, p) => {
        const { secret, versions } = store.versions(p.name!);
        return ok(
          pageOf(
            versions,
            (v) => v.version,
            (v) => (secret ? versionItem(vaultUrl(), secret, v) : {}),
            req.url,
            vaultUrl(),
          ),
        );
      }),
    },
    {
      method: 'GET',
      pattern: '/secrets/:name/:version?',
      handler: guard((_req, p) => {
        const { secret, version } = store.get(p.name!, p.version);
        if (!version.enabled) {
          throw new HttpError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', {
            extra: { innererror: { code: 'SecretDisabled' } },
          });
        }
        return ok(secretBundle(vaultUrl(), secret, version));
      }),
    },
    {
      method: 'PATCH',
      pattern: '/secrets/:name/:version?',
      handler: guard((req, p) => {
        const { secret, version } = store.update(p.name!, p.version, parseBody(req, updateSchema));
        return ok(secretProperties(vaultUrl(), secret, version));
      }),
    },
    {
      method: 'GET',
      pattern: '/deletedsecrets',
      handler: guard((req) =>
        ok(
          pageOf(
            store.listDeleted(),
            (d) => d.secret.name.toLowerCase(),
            (d) => deletedItem(vaultUrl(), d),
            req.url,
            vaultUrl(),
          ),
        ),
      ),
    },
    {
      method: 'GET',
      pattern: '/deletedsecrets/:name',
      handler: guard((_req, p) => ok(deletedBundle(vaultUrl(), store.getDeleted(p.name!)))),
    },
    {
      method: 'DELETE',
      pattern: '/deletedsecrets/:name',
      handler: guard((_req, p) => {
        store.purge(p.name!);
        return { status: 204, headers: { 'x-ms-keyvault-service-version': SERVICE_VERSION } };
      }),
    },
    {
      method: 'POST',
      pattern: '/deletedsecrets/:name/recover',
      handler: guard((_req, p) => {
        const secret = store.recover(p.name!);
        const { version } = store.get(secret.name);
        return ok(secretProperties(vaultUrl(), secret, version));
      }),
    },
  ];
}
