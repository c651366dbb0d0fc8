/**
 * The ARM module's state: declared resources, their keys and who may touch them. Lookups are
 * case-insensitive on subscription, resource group, provider type and name, as real ARM is.
 */
import type { EmulatorContext } from '../types.js';
import { newCognitiveKey, newCommunicationKey } from './keys.js';
import { resourceDeclarationSchema } from './schema.js';
import {
  type ArmAction,
  type ArmResourceType,
  DEFAULT_SUBSCRIPTION_ID,
  type DeclaredResource,
  type ResourceDeclaration,
} from './types.js';

export interface StoredResource {
  type: ArmResourceType;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  /** Cognitive Services `kind` (OpenAI, SpeechServices, …). */
  kind: string | undefined;
  dataLocation: string;
  slots: string[];
  /** `[key1, key2]` or `[primaryKey, secondaryKey]`; empty for sites. */
  keys: [string, string] | [];
  forbidden: 'all' | Set<ArmAction>;
  createdAt: string;
  /** Bumped on every change, served as the resource's etag. */
  generation: number;
}

/** Data-plane path prefix of each resource type on the emulator origin. */
const DATA_PLANE_PREFIX: Record<ArmResourceType, string> = {
  'Microsoft.CognitiveServices/accounts': 'cs',
  'Microsoft.Communication/communicationServices': 'acs',
  'Microsoft.Web/sites': 'sites',
};

export function armId(
  type: ArmResourceType,
  subscriptionId: string,
  resourceGroup: string,
  name: string,
): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${type}/${name}`;
}

function lookupKey(type: string, subscriptionId: string, resourceGroup: string, name: string): string {
  return armId(type as ArmResourceType, subscriptionId, resourceGroup, name).toLowerCase();
}

/** Splits an ARM id into its parts; undefined when it is not a resource id of a type served here. */
export function parseArmId(
  id: string,
): { type: ArmResourceType; subscriptionId: string; resourceGroup: string; name: string } | undefined {
  const match =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+\/[^/]+)\/([^/]+)\/?$/i.exec(
      id.trim(),
    );
  if (!match) return undefined;
  const [, subscriptionId, resourceGroup, typeText, name] = match;
  const type = (
    [
      'Microsoft.CognitiveServices/accounts',
      'Microsoft.Communication/communicationServices',
      'Microsoft.Web/sites',
    ] as const
  ).find((t) => t.toLowerCase() === typeText?.toLowerCase());
  if (!type || !subscriptionId || !resourceGroup || !name) return undefined;
  return { type, subscriptionId, resourceGroup, name };
}

export class ResourceStore {
  private readonly byKey = new Map<string, StoredResource>();

  constructor(private readonly ctx: EmulatorContext) {}

  /** Validates and stores a declaration, replacing one with the same id. Throws on invalid input or a name clash. */
  declare(input: ResourceDeclaration): StoredResource {
    const decl = resourceDeclarationSchema.parse(input);
    const subscriptionId = decl.subscriptionId ?? DEFAULT_SUBSCRIPTION_ID;
    const key = lookupKey(decl.type, subscriptionId, decl.resourceGroup, decl.name);
    const clash = this.findByName(decl.type, decl.name);
    if (clash && this.keyOf(clash) !== key) {
      throw new Error(
        `A ${decl.type} resource named '${decl.name}' already exists in resource group '${clash.resourceGroup}'; ` +
          'data-plane host names are global, so names must be unique per type.',
      );
    }
    const stored: StoredResource = {
      type: decl.type,
      subscriptionId,
      resourceGroup: decl.resourceGroup,
      name: decl.name,
      location:
        decl.location ??
        (decl.type === 'Microsoft.Communication/communicationServices' ? 'global' : 'eastus'),
      kind: decl.type === 'Microsoft.CognitiveServices/accounts' ? (decl.kind ?? 'OpenAI') : undefined,
      dataLocation:
        decl.type === 'Microsoft.Communication/communicationServices'
          ? (decl.dataLocation ?? 'United States')
          : '',
      slots: decl.type === 'Microsoft.Web/sites' ? [...(decl.slots ?? [])] : [],
      keys: initialKeys(decl),
      forbidden: toForbidden(decl.forbidden),
      createdAt: this.ctx.clock.now().toISOString(),
      generation: 1,
    };
    this.byKey.set(key, stored);
    return stored;
  }

  get(
    type: ArmResourceType,
    subscriptionId: string,
    resourceGroup: string,
    name: string,
  ): StoredResource | undefined {
    return this.byKey.get(lookupKey(type, subscriptionId, resourceGroup, name));
  }

  /** By ARM id (any casing). */
  byId(id: string): StoredResource | undefined {
    const parts = parseArmId(id);
    return parts ? this.get(parts.type, parts.subscriptionId, parts.resourceGroup, parts.name) : undefined;
  }

  findByName(type: ArmResourceType, name: string): StoredResource | undefined {
    const lower = name.toLowerCase();
    for (const res of this.byKey.values()) {
      if (res.type === type && res.name.toLowerCase() === lower) return res;
    }
    return undefined;
  }

  all(): StoredResource[] {
    return [...this.byKey.values()];
  }

  setForbidden(res: StoredResource, forbidden: boolean | ArmAction[]): void {
    res.forbidden = toForbidden(forbidden);
    res.generation += 1;
  }

  /** Replaces key index 0 or 1 with a fresh value of the resource's format. */
  regenerate(res: StoredResource, index: 0 | 1): void {
    if (res.keys.length !== 2) throw new Error(`${res.type} has no keys`);
    res.keys[index] =
      res.type === 'Microsoft.CognitiveServices/accounts' ? newCognitiveKey() : newCommunicationKey();
    res.generation += 1;
  }

  id(res: StoredResource): string {
    return armId(res.type, res.subscriptionId, res.resourceGroup, res.name);
  }

  /** Data-plane endpoint on the emulator origin, with a trailing slash (as Azure's endpoints have). */
  endpoint(res: StoredResource): string {
    return `${this.ctx.origin()}/${DATA_PLANE_PREFIX[res.type]}/${encodeURIComponent(res.name)}/`;
  }

  /** Host name as Communication reports it (`properties.hostName`): the endpoint without scheme and slash. */
  hostName(res: StoredResource): string {
    return this.endpoint(res)
      .replace(/^https?:\/\//, '')
      .replace(/\/$/, '');
  }

  describe(res: StoredResource): DeclaredResource {
    return {
      id: this.id(res),
      type: res.type,
      name: res.name,
      resourceGroup: res.resourceGroup,
      subscriptionId: res.subscriptionId,
      endpoint: this.endpoint(res),
    };
  }

  isForbidden(res: StoredResource, action: ArmAction): boolean {
    return res.forbidden === 'all' || res.forbidden.has(action);
  }

  private keyOf(res: StoredResource): string {
    return lookupKey(res.type, res.subscriptionId, res.resourceGroup, res.name);
  }
}

function toForbidden(value: boolean | ArmAction[] | undefined): 'all' | Set<ArmAction> {
  if (value === true) return 'all';
  return new Set(Array.isArray(value) ? value : []);
}

function initialKeys(decl: ResourceDeclaration): StoredResource['keys'] {
  switch (decl.type) {
    case 'Microsoft.CognitiveServices/accounts':
      return [decl.keys?.key1 ?? newCognitiveKey(), decl.keys?.key2 ?? newCognitiveKey()];
    case 'Microsoft.Communication/communicationServices':
      return [
        decl.keys?.primaryKey ?? newCommunicationKey(),
        decl.keys?.secondaryKey ?? newCommunicationKey(),
      ];
    case 'Microsoft.Web/sites':
      return [];
  }
}
