/** Public types of the emulator's ARM module (management plane for Cognitive Services, Communication, Web). */
import type { EmulatorModule, Route } from '../types.js';

/** The ARM resource types the emulator serves. */
export const ARM_RESOURCE_TYPES = [
  'Microsoft.CognitiveServices/accounts',
  'Microsoft.Communication/communicationServices',
  'Microsoft.Web/sites',
] as const;
export type ArmResourceType = (typeof ARM_RESOURCE_TYPES)[number];

/** ARM actions the emulator authorises (each maps to `<type>/<action>/action` or `<type>/read`). */
export const ARM_ACTIONS = ['read', 'listKeys', 'regenerateKey', 'restart'] as const;
export type ArmAction = (typeof ARM_ACTIONS)[number];

/** Subscription used when a declaration names none. */
export const DEFAULT_SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000000';

interface ResourceDeclarationBase {
  /** Defaults to {@link DEFAULT_SUBSCRIPTION_ID}. */
  subscriptionId?: string;
  resourceGroup: string;
  name: string;
  /** Defaults to `eastus` (`global` for Communication). */
  location?: string;
  /**
   * A forbidden resource answers 403 AuthorizationFailed: `true` for every ARM action, or only the listed
   * actions (e.g. `['regenerateKey']`: a caller that may read keys but not regenerate them).
   */
  forbidden?: boolean | ArmAction[];
}

export interface CognitiveServicesDeclaration extends ResourceDeclarationBase {
  type: 'Microsoft.CognitiveServices/accounts';
  /** `OpenAI`, `SpeechServices`, … (default `OpenAI`). */
  kind?: string;
  /** Seed keys (32 hex chars each); generated when absent. */
  keys?: { key1?: string; key2?: string };
}

export interface CommunicationDeclaration extends ResourceDeclarationBase {
  type: 'Microsoft.Communication/communicationServices';
  /** Default `United States`. */
  dataLocation?: string;
  /** Seed keys (base64 of 64 bytes each); generated when absent. */
  keys?: { primaryKey?: string; secondaryKey?: string };
}

export interface WebSiteDeclaration extends ResourceDeclarationBase {
  type: 'Microsoft.Web/sites';
  /** Deployment slot names besides production. */
  slots?: string[];
}

export type ResourceDeclaration =
  | CognitiveServicesDeclaration
  | CommunicationDeclaration
  | WebSiteDeclaration;

/** What the emulator made of a declaration. */
export interface DeclaredResource {
  /** ARM id as Azure spells it: `/subscriptions/…/resourceGroups/…/providers/<type>/<name>`. */
  id: string;
  type: ArmResourceType;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  /** Data-plane endpoint (Cognitive Services `…/cs/<name>/`, Communication `…/acs/<name>/`, site `…/sites/<name>/`). */
  endpoint: string;
}

export interface CognitiveServicesKeys {
  key1: string;
  key2: string;
}

export interface CommunicationKeys {
  primaryKey: string;
  secondaryKey: string;
  primaryConnectionString: string;
  secondaryConnectionString: string;
}

export interface RestartRecord {
  /** ARM id of the site (without slot). */
  siteId: string;
  site: string;
  /** `production` or the slot name. */
  slot: string;
  softRestart: boolean | undefined;
  synchronous: boolean | undefined;
  /** Emulator clock time (ISO). */
  at: string;
  /** Wall-clock time (ISO). */
  realAt: string;
}

/** A resource as a data plane needs it (looked up by account name, which is globally unique in Azure). */
export interface DataPlaneAccount {
  id: string;
  name: string;
  type: ArmResourceType;
  kind?: string;
}

export interface ArmModule extends EmulatorModule {
  /** Control API routes under `/_emulator/…`. */
  controlRoutes: Route[];
  /** Declares (or re-declares, replacing) a resource; generates keys not given. */
  declare(decl: ResourceDeclaration): DeclaredResource;
  /**
   * Marks a resource (by ARM id, case-insensitive) forbidden (`true`: every action; a list: those actions)
   * or allowed again (`false`). Throws if unknown.
   */
  setForbidden(resourceId: string, forbidden: boolean | ArmAction[]): void;
  /** Current Cognitive Services keys of the resource (ARM id). Throws if unknown or of another type. */
  cognitiveKeys(resourceId: string): CognitiveServicesKeys;
  /** Current Communication keys and connection strings of the resource (ARM id). */
  communicationKeys(resourceId: string): CommunicationKeys;
  /** Every restart recorded so far, oldest first (a copy). */
  restarts(): RestartRecord[];
  /** Finds a Cognitive Services or Communication resource by its (globally unique) name. */
  findAccount(type: ArmResourceType, name: string): DataPlaneAccount | undefined;
  /**
   * Whether `value` is a current key of the resource named by ARM id or account name. For Communication,
   * `value` may also be a connection string (its endpoint and `accesskey` must both match).
   */
  isCurrentKey(type: ArmResourceType, resourceIdOrName: string, value: string): boolean;
  /** Current keys by account name for the data planes (both halves). Undefined if unknown. */
  currentKeysByName(type: ArmResourceType, name: string): readonly string[] | undefined;
  /** Every declared resource. */
  list(): DeclaredResource[];
}
