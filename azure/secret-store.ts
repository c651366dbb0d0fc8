/**
 * `SecretStore` over Key Vault's `SecretClient`. Values are read only by `getCurrent`/`getVersion`;
 * listings use the properties-only endpoints. Errors are wrapped so no value (a failed `setSecret` keeps
 * its request body) can reach a log line.
 */
import type { KeyVaultSecret, SecretClient, SecretProperties } from '@azure/keyvault-secrets';
import { RotationError } from '../rotation/errors.js';
import { OwnVersions } from '../rotation/own-versions.js';
import type {
  NewSecretVersion,
  SecretStore,
  SecretVersion,
  SecretVersionPatch,
  SecretVersionProperties,
} from '../rotation/ports.js';
import { azureStatusOf, summarizeAzureError, wrapAzureError } from './errors.js';

type VersionedProperties = SecretVersionProperties & { version: string };

export interface SecretClientSource {
  /** Unknown vault → `RotationError`. See `ClientFactory.secretClient`. */
  secretClient(vault: string): Promise<SecretClient>;
}

function toProperties(vault: string, p: SecretProperties): SecretVersionProperties {
  return {
    vault,
    name: p.name,
    version: p.version,
    enabled: p.enabled ?? true,
    ...(p.createdOn ? { createdOn: p.createdOn } : {}),
    ...(p.updatedOn ? { updatedOn: p.updatedOn } : {}),
    ...(p.expiresOn ? { expiresOn: p.expiresOn } : {}),
    ...(p.notBefore ? { notBefore: p.notBefore } : {}),
    ...(p.contentType !== undefined ? { contentType: p.contentType } : {}),
    tags: { ...(p.tags ?? {}) },
  };
}

function toVersioned(vault: string, p: SecretProperties): VersionedProperties {
  const props = toProperties(vault, p);
  if (!props.version) {
    throw new RotationError('InternalError', `Key Vault returned secret '${p.name}' without a version id`);
  }
  return { ...props, version: props.version };
}

function toSecretVersion(vault: string, secret: KeyVaultSecret): SecretVersion {
  if (secret.value === undefined) {
    throw new RotationError('InternalError', `Key Vault returned secret '${secret.name}' without a value`);
  }
  return { ...toVersioned(vault, secret.properties), value: secret.value };
}

/** Key Vault answers 403 `Forbidden` ("Operation get is not allowed on a disabled secret.") for a disabled version. */
function isDisabledSecretError(error: unknown): boolean {
  if (azureStatusOf(error) !== 403) return false;
  const { code, message } = summarizeAzureError(error);
  return code === 'SecretDisabled' || /disabled/i.test(message);
}

/** Pages through an SDK listing, wrapping errors from each page fetch. */
async function* wrapPaged<T, U>(
  source: AsyncIterable<T>,
  action: string,
  map: (item: T) => U,
): AsyncGenerator<U> {
  const iterator = source[Symbol.asyncIterator]();
  while (true) {
    let next: IteratorResult<T>;
    try {
      next = await iterator.next();
    } catch (error) {
      throw wrapAzureError(error, { action, notFound: 'SecretNotFound' });
    }
    if (next.done) return;
    yield map(next.value);
  }
}

export class KeyVaultSecretStore implements SecretStore {
  /** Versions written here with the rotator's tags (their `SecretNewVersionCreated` needs no read). */
  readonly #own = new OwnVersions();

  constructor(private readonly clients: SecretClientSource) {}

  private client(vault: string): Promise<SecretClient> {
    return this.clients.secretClient(vault.toLowerCase());
  }

  async getCurrent(vault: string, name: string): Promise<SecretVersion | undefined> {
    return this.read(vault, name, undefined);
  }

  async getVersion(vault: string, name: string, version: string): Promise<SecretVersion | undefined> {
    if (!version) throw new RotationError('BadRequest', `a version id is required to read secret '${name}'`);
    return this.read(vault, name, version);
  }

  private async read(
    vault: string,
    name: string,
    version: string | undefined,
  ): Promise<SecretVersion | undefined> {
    const v = vault.toLowerCase();
    const client = await this.client(v);
    const what = version === undefined ? `secret '${name}'` : `version ${version} of secret '${name}'`;
    try {
      const secret = await client.getSecret(name, version === undefined ? {} : { version });
      return toSecretVersion(v, secret);
    } catch (error) {
      if (error instanceof RotationError) throw error;
      if (azureStatusOf(error) === 404) return undefined;
      if (isDisabledSecretError(error)) {
        throw new RotationError(
          'PermissionDenied',
          `${what} in vault '${v}' is disabled; its value cannot be read`,
          {
            cause: { status: 403, code: 'SecretDisabled' },
            details: [{ path: version === undefined ? 'current' : 'version', message: 'SecretDisabled' }],
          },
        );
      }
      throw wrapAzureError(error, { action: `read ${what} in vault '${v}'`, notFound: 'SecretNotFound' });
    }
  }

  async *listSecrets(vault: string): AsyncIterable<SecretVersionProperties> {
    const v = vault.toLowerCase();
    const client = await this.client(v);
    yield* wrapPaged(client.listPropertiesOfSecrets(), `list secrets in vault '${v}'`, (p) =>
      toProperties(v, p),
    );
  }

  async *listVersions(vault: string, name: string): AsyncIterable<VersionedProperties> {
    const v = vault.toLowerCase();
    const client = await this.client(v);
    yield* wrapPaged(
      client.listPropertiesOfSecretVersions(name),
      `list versions of secret '${name}' in vault '${v}'`,
      (p) => toVersioned(v, p),
    );
  }

  async setSecret(vault: string, name: string, secret: NewSecretVersion): Promise<VersionedProperties> {
    const v = vault.toLowerCase();
    const client = await this.client(v);
    try {
      const created = await client.setSecret(name, secret.value, {
        tags: secret.tags,
        ...(secret.contentType !== undefined ? { contentType: secret.contentType } : {}),
        ...(secret.expiresOn ? { expiresOn: secret.expiresOn } : {}),
        ...(secret.notBefore ? { notBefore: secret.notBefore } : {}),
      });
      const written = toVersioned(v, created.properties);
      this.#own.recordWrite(v, name, written.version, secret.tags);
      return written;
    } catch (error) {
      throw wrapAzureError(error, { action: `write a new version of secret '${name}' in vault '${v}'` });
    }
  }

  wroteOwnVersion(vault: string, name: string, version: string): boolean {
    return this.#own.has(vault, name, version);
  }

  async updateVersion(
    vault: string,
    name: string,
    version: string,
    patch: SecretVersionPatch,
  ): Promise<VersionedProperties> {
    if (!version)
      throw new RotationError('BadRequest', `a version id is required to update secret '${name}'`);
    const v = vault.toLowerCase();
    const client = await this.client(v);
    try {
      const updated = await client.updateSecretProperties(name, version, {
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        ...(patch.tags !== undefined ? { tags: patch.tags } : {}),
        ...(patch.expiresOn !== undefined ? { expiresOn: patch.expiresOn } : {}),
      });
      return toVersioned(v, updated);
    } catch (error) {
      throw wrapAzureError(error, {
        action: `update version ${version} of secret '${name}' in vault '${v}'`,
        notFound: 'SecretNotFound',
      });
    }
  }
}
