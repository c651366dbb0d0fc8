/**
 * Which credential providers the engine can run, by kind. Partial on purpose: a kind without an adapter
 * yet is simply absent, and the engine fails its runs with `ProviderNotImplemented` — no stubs. A new
 * provider adds one line here. Provider modules load their SDKs lazily, so building the registry is cheap.
 */
import { PROVIDER_KINDS, type ProviderKind } from '../rotation/kinds.js';
import type { CredentialProvider, ProviderRegistry } from '../rotation/ports.js';
import {
  type CognitiveServicesSdkClient,
  cognitiveKeysClients,
  createCognitiveServicesProvider,
} from './azure-cognitive-services/index.js';
import {
  type CommunicationSdkClient,
  communicationKeysClients,
  createCommunicationProvider,
} from './azure-communication/index.js';
import { createDeepSeekProvider } from './deepseek/index.js';
import { createGroqProvider } from './groq/index.js';
import { jwtSecretProvider } from './jwt-secret/index.js';
import { createMongoDbProvider } from './mongodb/index.js';
import { type EmulatedManualKind, emulatorBaseUrl } from './openai-compatible/local.js';
import type { ManualHttpDeps } from './openai-compatible/manual.js';
import { createQwenProvider } from './qwen/index.js';
import { createRazorpayProvider } from './razorpay/index.js';
import { createRecaptchaProvider } from './recaptcha/index.js';
import type { DataPlaneOptions } from './shared/http-probe.js';
import { createTogetherAiProvider } from './together-ai/index.js';

/** What providers need from the composition root. Structural, so providers never import `azure/`. */
export interface ProviderRegistryDeps {
  /** ARM clients per subscription: the azure/ client factory fits. */
  clients: {
    cognitiveServicesClient(subscriptionId: string): Promise<CognitiveServicesSdkClient>;
    communicationClient(subscriptionId: string): Promise<CommunicationSdkClient>;
  };
  /** Trust (the local emulator's CA) and per-call timeout for validation calls to provider data planes. */
  dataPlane?: DataPlaneOptions;
  /**
   * Local mode only: the emulator's origin. Every manual provider's API base URL then points under it
   * (`emulatorBaseUrl`), whatever `rotation.json` says, so validation never leaves the machine.
   */
  emulatorOrigin?: string;
}

/** `ManualHttpDeps` for a manual provider with an emulated API: data-plane options, local base URL. */
export function manualHttpDeps(deps: ProviderRegistryDeps, kind: EmulatedManualKind): ManualHttpDeps {
  return {
    ...(deps.dataPlane === undefined ? {} : { dataPlane: deps.dataPlane }),
    ...(deps.emulatorOrigin === undefined ? {} : { baseUrl: emulatorBaseUrl(kind, deps.emulatorOrigin) }),
  };
}

export function createProviderRegistry(deps: ProviderRegistryDeps): ProviderRegistry {
  const dataPlane = deps.dataPlane === undefined ? {} : { dataPlane: deps.dataPlane };
  return {
    'azure-cognitive-services': createCognitiveServicesProvider({
      keysClient: cognitiveKeysClients(deps.clients),
      ...dataPlane,
    }),
    'azure-communication': createCommunicationProvider({
      keysClient: communicationKeysClients(deps.clients),
      ...dataPlane,
    }),
    'jwt-secret': jwtSecretProvider,
    'together-ai': createTogetherAiProvider(manualHttpDeps(deps, 'together-ai')),
    groq: createGroqProvider(manualHttpDeps(deps, 'groq')),
    deepseek: createDeepSeekProvider(manualHttpDeps(deps, 'deepseek')),
    qwen: createQwenProvider(manualHttpDeps(deps, 'qwen')),
    razorpay: createRazorpayProvider(manualHttpDeps(deps, 'razorpay')),
    recaptcha: createRecaptchaProvider(manualHttpDeps(deps, 'recaptcha')),
    // Local mode (emulator origin set): only loopback MongoDB servers, no DNS.
    mongodb: createMongoDbProvider({ loopbackOnly: deps.emulatorOrigin !== undefined }),
  } satisfies ProviderRegistry;
}

/** Kinds that have an adapter in `registry`. */
export function implementedKinds(registry: ProviderRegistry): ProviderKind[] {
  return PROVIDER_KINDS.filter((kind) => registry[kind] !== undefined);
}

export type { CredentialProvider, ProviderRegistry };
