/**
 * Where the Azure services are: the local emulator + Azurite (from `.local/endpoints.json`, written by
 * `npm start`) or real Azure. Both shapes are checked here, at the edge, so a client is never built for a
 * URL that breaks the safety rules: in local mode every endpoint must be loopback.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { RotationError } from '../rotation/errors.js';

export const AZURE_ARM_ENDPOINT = 'https://management.azure.com';
export const ENDPOINTS_FILE = 'endpoints.json';

export interface LocalEnvironment {
  mode: 'local';
  /** PEM of the emulator's CA, trusted per client (never process-wide). */
  caCert: string;
  /** Lowercased vault name → vault URL (an origin: SecretClient rejects a URL with a path). */
  vaultUrls: Record<string, string>;
  armEndpoint: string;
  storageConnectionString: string;
}

export interface CloudEnvironment {
  mode: 'azure';
  vaultUrls: Record<string, string>;
  armEndpoint: string;
  /** Exactly one of these: a connection string, or an account reached with `DefaultAzureCredential`. */
  storageConnectionString?: string;
  storageAccountName?: string;
}

export type AzureEnvironment = LocalEnvironment | CloudEnvironment;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** True for 127.0.0.0/8, `localhost` and `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

const vaultNameSchema = z
  .string()
  .regex(/^[0-9a-zA-Z-]{1,127}$/, 'vault names use letters, digits and hyphens')
  .transform((name) => name.toLowerCase());

const originSchema = z.url().refine((value) => {
  const url = new URL(value);
  return (
    url.protocol === 'https:' && (url.pathname === '/' || url.pathname === '') && !url.search && !url.hash
  );
}, 'must be an https origin without a path, query or fragment');

export const endpointsFileSchema = z.object({
  host: z.url(),
  functionKey: z.string().min(1),
  emulator: z.url(),
  vaults: z.array(z.object({ name: vaultNameSchema, url: originSchema })).min(1),
  armEndpoint: originSchema,
  caCertFile: z.string().min(1),
  storageConnectionString: z.string().min(1),
});
export type EndpointsFile = z.infer<typeof endpointsFileSchema>;

function issuesToDetails(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.') || '$', message: issue.message }));
}

/** Reads and validates `<stateDir>/endpoints.json`. */
export async function loadEndpointsFile(stateDir: string): Promise<EndpointsFile> {
  const file = path.join(stateDir, ENDPOINTS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new RotationError('ConfigInvalid', `cannot read ${file}; is the local stack running (npm start)?`, {
      cause: { code: (error as { code?: unknown }).code },
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RotationError('ConfigInvalid', `${file} is not valid JSON`);
  }
  const parsed = endpointsFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new RotationError('ConfigInvalid', `${file} is invalid`, {
      details: issuesToDetails(parsed.error),
    });
  }
  return parsed.data;
}

/** Storage endpoints named by a connection string (`UseDevelopmentStorage=true` means Azurite's defaults). */
export function storageEndpointsOf(connectionString: string): string[] {
  if (/UseDevelopmentStorage\s*=\s*true/i.test(connectionString)) return ['http://127.0.0.1:10000'];
  const endpoints: string[] = [];
  const fields = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const index = part.indexOf('=');
    if (index > 0) fields.set(part.slice(0, index).trim().toLowerCase(), part.slice(index + 1).trim());
  }
  for (const key of ['blobendpoint', 'queueendpoint', 'tableendpoint']) {
    const value = fields.get(key);
    if (value) endpoints.push(value);
  }
  const account = fields.get('accountname');
  if (endpoints.length < 3 && account) {
    endpoints.push(`https://${account}.${fields.get('endpointsuffix') ?? 'core.windows.net'}`);
  }
  return endpoints;
}

function assertLoopback(what: string, url: string): void {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new RotationError('ConfigInvalid', `${what} is not a URL`);
  }
  if (!isLoopbackHost(host)) {
    throw new RotationError(
      'ConfigInvalid',
      `${what} must be a loopback address in local mode (got ${host})`,
    );
  }
}

/** Checks that a local environment can only reach 127.0.0.1 (DESIGN.md, Safety rules). */
export function assertLocalOnly(env: LocalEnvironment): void {
  for (const [name, url] of Object.entries(env.vaultUrls)) assertLoopback(`vault '${name}' URL`, url);
  assertLoopback('ARM endpoint', env.armEndpoint);
  const storage = storageEndpointsOf(env.storageConnectionString);
  if (storage.length === 0)
    throw new RotationError('ConfigInvalid', 'storage connection string names no endpoint');
  for (const url of storage) assertLoopback('storage endpoint', url);
}

/** Builds the local environment from a parsed endpoints file (reads the CA file, relative to `stateDir`). */
export async function localEnvironmentFromEndpoints(
  file: EndpointsFile,
  stateDir: string,
): Promise<LocalEnvironment> {
  const caPath = path.resolve(stateDir, file.caCertFile);
  let caCert: string;
  try {
    caCert = await readFile(caPath, 'utf8');
  } catch {
    throw new RotationError('ConfigInvalid', `cannot read the emulator CA certificate ${caPath}`);
  }
  const env: LocalEnvironment = {
    mode: 'local',
    caCert,
    vaultUrls: Object.fromEntries(file.vaults.map((v) => [v.name, v.url])),
    armEndpoint: file.armEndpoint,
    storageConnectionString: file.storageConnectionString,
  };
  assertLocalOnly(env);
  return env;
}

/** `loadEndpointsFile` + `localEnvironmentFromEndpoints`. */
export async function loadLocalEnvironment(stateDir: string): Promise<LocalEnvironment> {
  return localEnvironmentFromEndpoints(await loadEndpointsFile(stateDir), stateDir);
}

/** Builds a local environment from values in hand (tests, `npm start` before it writes the file). */
export function localEnvironment(input: Omit<LocalEnvironment, 'mode'>): LocalEnvironment {
  const env: LocalEnvironment = {
    mode: 'local',
    ...input,
    vaultUrls: Object.fromEntries(Object.entries(input.vaultUrls).map(([k, v]) => [k.toLowerCase(), v])),
  };
  assertLocalOnly(env);
  return env;
}

const cloudInputSchema = z
  .object({
    vaults: z.array(z.object({ name: vaultNameSchema, url: originSchema.optional() })).min(1),
    armEndpoint: originSchema.optional(),
    storageConnectionString: z.string().min(1).optional(),
    storageAccountName: z
      .string()
      .regex(/^[a-z0-9]{3,24}$/, 'storage account names are 3-24 lowercase letters and digits')
      .optional(),
  })
  .refine(
    (v) => (v.storageConnectionString === undefined) !== (v.storageAccountName === undefined),
    'give exactly one of storageConnectionString and storageAccountName',
  );
export type CloudEnvironmentInput = z.input<typeof cloudInputSchema>;

/**
 * Builds the real-Azure environment. A vault without a URL gets `https://<name>.vault.azure.net`.
 * `AzureWebJobsStorage` is either a connection string or, with identity-based connections,
 * `AzureWebJobsStorage__accountName`.
 */
export function cloudEnvironment(input: CloudEnvironmentInput): CloudEnvironment {
  const parsed = cloudInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new RotationError('ConfigInvalid', 'Azure endpoints are invalid', {
      details: issuesToDetails(parsed.error),
    });
  }
  const v = parsed.data;
  return {
    mode: 'azure',
    vaultUrls: Object.fromEntries(
      v.vaults.map((vault) => [vault.name, vault.url ?? `https://${vault.name}.vault.azure.net`]),
    ),
    armEndpoint: v.armEndpoint ?? AZURE_ARM_ENDPOINT,
    ...(v.storageConnectionString === undefined
      ? {}
      : { storageConnectionString: v.storageConnectionString }),
    ...(v.storageAccountName === undefined ? {} : { storageAccountName: v.storageAccountName }),
  };
}

/** The URL of a configured vault; unknown vault → `RotationError(ResourceNotFound)`. */
export function vaultUrlOf(env: AzureEnvironment, vault: string): string {
  const url = env.vaultUrls[vault.toLowerCase()];
  if (url === undefined) {
    const known = Object.keys(env.vaultUrls).join(', ') || 'none';
    throw new RotationError('ResourceNotFound', `vault '${vault}' is not configured (known: ${known})`);
  }
  return url;
}
