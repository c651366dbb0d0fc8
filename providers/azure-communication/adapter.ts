/**
 * `azure-communication`: rotates the Primary/Secondary access keys of an Azure Communication Services
 * resource by alternation (see `providers/shared/dual-key.ts`). Secrets hold either the connection string
 * (default) or the bare key; validation signs a data-plane call with HMAC-SHA256 as the Azure SDKs do.
 */
import { ERROR_CODES, isRotationError } from '../../rotation/errors.js';
import type { CredentialProvider, ProviderContext, ValidationResult } from '../../rotation/ports.js';
import { acsConnectionString, parseAcsConnectionString } from '../shared/acs-hmac.js';
import { callArm } from '../shared/arm-errors.js';
import { type ArmResourceId, parseArmResourceId } from '../shared/arm-id.js';
import { createDualKeyProvider, type KeySlot } from '../shared/dual-key.js';
import { type DataPlaneOptions, probe, warmUp, withTrailingSlash } from '../shared/http-probe.js';
import { oncePerResource } from '../shared/per-resource.js';
import type {
  CommunicationKeys,
  CommunicationKeysClient,
  CommunicationKeyType,
  CommunicationResourceInfo,
} from './client.js';
import { communicationProbeRequest } from './data-plane.js';
import { COMMUNICATION_TYPE, type CommunicationSettings, communicationSettingsSchema } from './settings.js';

export interface CommunicationProviderDeps {
  /** The ARM client for a subscription (built lazily by the composition root). */
  keysClient(subscriptionId: string): CommunicationKeysClient | Promise<CommunicationKeysClient>;
  /** Data-plane trust (local emulator CA) and per-call timeout for validation. */
  dataPlane?: DataPlaneOptions;
}

export function communicationRoleHint(resourceId: string): string {
  return (
    `Grant the rotator's identity 'Contributor' on ${resourceId} (or a custom role with ` +
    'Microsoft.Communication/communicationServices/read, ' +
    'Microsoft.Communication/communicationServices/listKeys/action and ' +
    'Microsoft.Communication/communicationServices/regenerateKey/action).'
  );
}

/** The raw access key in a stored value: a connection string's `accesskey`, else the value itself. */
export function communicationKeyOf(value: string): string {
  return parseAcsConnectionString(value)?.accessKey ?? value.trim();
}

const FIELDS = {
  Primary: { key: 'primaryKey', connectionString: 'primaryConnectionString' },
  Secondary: { key: 'secondaryKey', connectionString: 'secondaryConnectionString' },
} as const satisfies Record<
  CommunicationKeyType,
  { key: keyof CommunicationKeys; connectionString: keyof CommunicationKeys }
>;

export function createCommunicationProvider(
  deps: CommunicationProviderDeps,
): CredentialProvider<CommunicationSettings> {
  const client = async (resource: ArmResourceId) => deps.keysClient(resource.subscriptionId);

  /** The host name never changes for a resource: one ARM GET per process and resource. */
  const resourceInfo = oncePerResource<CommunicationResourceInfo>((resource) =>
    callArm(
      { resourceId: resource.id, operation: 'get', roleHint: communicationRoleHint(resource.id) },
      async () => (await client(resource)).get(resource.resourceGroup, resource.name),
    ),
  );

  /** The endpoint ARM would put in a connection string: `https://{hostName}/`. */
  const armEndpoint = async (resource: ArmResourceId): Promise<string> => {
    const { hostName } = await resourceInfo(resource);
    if (!hostName) throw new Error(`ARM reported no hostName for ${resource.id}`);
    return withTrailingSlash(/^https?:\/\//i.test(hostName) ? hostName : `https://${hostName}`);
  };

  const slot = async (
    ctx: ProviderContext<CommunicationSettings>,
    resource: ArmResourceId,
    keys: CommunicationKeys,
    name: CommunicationKeyType,
  ): Promise<KeySlot> => {
    const key = keys[FIELDS[name].key];
    if (!key) throw new Error(`ARM returned no ${name} key for ${resource.id}`);
    if (ctx.settings.holds === 'key') return { key, value: key };
    const connectionString =
      keys[FIELDS[name].connectionString] ?? acsConnectionString(await armEndpoint(resource), key);
    return { key, value: connectionString };
  };

  const validate = async (
    ctx: ProviderContext<CommunicationSettings>,
    credential: { value: string },
  ): Promise<ValidationResult> => {
    const resource = parseArmResourceId(ctx.settings.resourceId, COMMUNICATION_TYPE);
    const parsed = parseAcsConnectionString(credential.value);
    let endpoint = ctx.settings.endpoint ?? parsed?.endpoint;
    if (endpoint === undefined) {
      try {
        endpoint = await armEndpoint(resource);
      } catch (error) {
        if (isRotationError(error, ERROR_CODES.azureUnavailable)) {
          return {
            ok: false,
            outcome: 'unavailable',
            reason: error.message,
            ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
          };
        }
        throw error;
      }
    }
    const request = communicationProbeRequest({
      endpoint,
      accessKey: parsed?.accessKey ?? credential.value.trim(),
      now: ctx.clock.now(),
    });
    return probe(request, deps.dataPlane, ctx.signal);
  };

  return createDualKeyProvider<CommunicationSettings, CommunicationKeyType>({
    kind: 'azure-communication',
    settingsSchema: communicationSettingsSchema,
    resourceType: COMMUNICATION_TYPE,
    keyNames: ['Primary', 'Secondary'],
    aliases: { primarykey: 'Primary', secondarykey: 'Secondary' },
    roleHint: communicationRoleHint,
    resourceId: (settings) => settings.resourceId,
    async listKeys(ctx, resource) {
      const keys = await (await client(resource)).listKeys(resource.resourceGroup, resource.name);
      return {
        Primary: await slot(ctx, resource, keys, 'Primary'),
        Secondary: await slot(ctx, resource, keys, 'Secondary'),
      };
    },
    async regenerate(ctx, resource, name) {
      const keys = await (await client(resource)).regenerateKey(resource.resourceGroup, resource.name, name);
      return slot(ctx, resource, keys, name);
    },
    keyOf: communicationKeyOf,
    validate,
    warmValidation(ctx, resource, current) {
      // The endpoint `validate` will call: a connection string carries it (the new one the same as the
      // current one); a bare key uses ARM's, which `validate` reads anyway (once per process).
      if (!deps.dataPlane?.connections) return;
      const endpoint = ctx.settings.endpoint ?? parseAcsConnectionString(current.value)?.endpoint;
      if (endpoint !== undefined) return warmUp(endpoint, deps.dataPlane);
      armEndpoint(resource)
        .then((found) => warmUp(found, deps.dataPlane))
        .catch(() => {}); // `validate` reports an account it cannot read
    },
  });
}
