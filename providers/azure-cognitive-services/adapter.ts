/**
 * `azure-cognitive-services`: rotates the key1/key2 pair of an Azure OpenAI, Speech or other Cognitive
 * Services account by alternation (see `providers/shared/dual-key.ts`), and validates a key with the
 * account's own data plane.
 */
import { ERROR_CODES, isRotationError } from '../../rotation/errors.js';
import type { CredentialProvider, ProviderContext, ValidationResult } from '../../rotation/ports.js';
import { callArm } from '../shared/arm-errors.js';
import { type ArmResourceId, parseArmResourceId } from '../shared/arm-id.js';
import { createDualKeyProvider, type KeySlot } from '../shared/dual-key.js';
import { type DataPlaneOptions, probe, warmUp } from '../shared/http-probe.js';
import { oncePerResource } from '../shared/per-resource.js';
import type { CognitiveAccountInfo, CognitiveKeyName, CognitiveKeys, CognitiveKeysClient } from './client.js';
import { cognitiveProbeRequest } from './data-plane.js';
import {
  COGNITIVE_SERVICES_TYPE,
  type CognitiveServicesSettings,
  cognitiveServicesSettingsSchema,
} from './settings.js';

export type CognitiveCredentialId = 'key1' | 'key2';

export interface CognitiveServicesProviderDeps {
  /** The ARM client for a subscription (built lazily by the composition root). */
  keysClient(subscriptionId: string): CognitiveKeysClient | Promise<CognitiveKeysClient>;
  /** Data-plane trust (local emulator CA) and per-call timeout for validation. */
  dataPlane?: DataPlaneOptions;
}

export function cognitiveServicesRoleHint(resourceId: string): string {
  return (
    `Grant the rotator's identity 'Cognitive Services Contributor' on ${resourceId} (or a custom role with ` +
    'Microsoft.CognitiveServices/accounts/read, Microsoft.CognitiveServices/accounts/listKeys/action and ' +
    'Microsoft.CognitiveServices/accounts/regenerateKey/action).'
  );
}

const KEY_NAMES = { key1: 'Key1', key2: 'Key2' } as const satisfies Record<
  CognitiveCredentialId,
  CognitiveKeyName
>;

function slots(resource: ArmResourceId, keys: CognitiveKeys): Record<CognitiveCredentialId, KeySlot> {
  const { key1, key2 } = keys;
  if (!key1 || !key2) {
    throw new Error(`ARM returned an incomplete key pair for ${resource.id}`);
  }
  return { key1: { key: key1, value: key1 }, key2: { key: key2, value: key2 } };
}

export function createCognitiveServicesProvider(
  deps: CognitiveServicesProviderDeps,
): CredentialProvider<CognitiveServicesSettings> {
  const client = async (resource: ArmResourceId) => deps.keysClient(resource.subscriptionId);

  /** Account kind and endpoint never change for an account: one ARM GET per process and account. */
  const accountInfo = oncePerResource<CognitiveAccountInfo>((resource) =>
    callArm(
      { resourceId: resource.id, operation: 'get', roleHint: cognitiveServicesRoleHint(resource.id) },
      async () => (await client(resource)).get(resource.resourceGroup, resource.name),
    ),
  );

  const validate = async (
    ctx: ProviderContext<CognitiveServicesSettings>,
    credential: { value: string },
  ): Promise<ValidationResult> => {
    const resource = parseArmResourceId(ctx.settings.resourceId, COGNITIVE_SERVICES_TYPE);
    let { endpoint, kind } = ctx.settings;
    if (endpoint === undefined || kind === undefined) {
      try {
        const info = await accountInfo(resource);
        endpoint ??= info.endpoint;
        kind ??= info.kind;
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
    if (endpoint === undefined) {
      return {
        ok: false,
        outcome: 'unavailable',
        reason: `${resource.id} has no data-plane endpoint in ARM; set the endpoint setting`,
      };
    }
    const request = cognitiveProbeRequest({
      kind,
      endpoint,
      key: credential.value.trim(),
      apiVersion: ctx.settings.validation?.apiVersion,
    });
    return probe(request, deps.dataPlane, ctx.signal);
  };

  return createDualKeyProvider<CognitiveServicesSettings, CognitiveCredentialId>({
    kind: 'azure-cognitive-services',
    settingsSchema: cognitiveServicesSettingsSchema,
    resourceType: COGNITIVE_SERVICES_TYPE,
    keyNames: ['key1', 'key2'],
    roleHint: cognitiveServicesRoleHint,
    resourceId: (settings) => settings.resourceId,
    async listKeys(_ctx, resource) {
      return slots(resource, await (await client(resource)).listKeys(resource.resourceGroup, resource.name));
    },
    async regenerate(_ctx, resource, name) {
      const keys = await (await client(resource)).regenerateKey(
        resource.resourceGroup,
        resource.name,
        KEY_NAMES[name],
      );
      return slots(resource, keys)[name];
    },
    keyOf: (value) => value.trim(),
    validate,
    warmValidation(ctx, resource) {
      if (!deps.dataPlane?.connections) return;
      const { endpoint } = ctx.settings;
      if (endpoint !== undefined) return warmUp(endpoint, deps.dataPlane);
      accountInfo(resource)
        .then((info) => info.endpoint !== undefined && warmUp(info.endpoint, deps.dataPlane))
        .catch(() => {}); // `validate` reports an account it cannot read
    },
    prepareValidation(ctx, resource) {
      // The first validation in a process needs the account's endpoint and kind: read them meanwhile.
      if (ctx.settings.endpoint === undefined || ctx.settings.kind === undefined) {
        accountInfo(resource).catch(() => {}); // cached; a failure is retried and reported by `validate`
      }
    },
  });
}
