/**
 * Which credential providers the engine can run, by kind. Partial on purpose: a kind without an adapter
 * yet is simply absent, and the engine fails its runs with `ProviderNotImplemented` — no stubs. A new
 * provider adds one line here. Provider modules load their SDKs lazily, so building the registry is cheap.
 */
import { PROVIDER_KINDS, type ProviderKind } from '../rotation/kinds.js';
import type { CredentialProvider, ProviderRegistry } from '../rotation/ports.js';
import { jwtSecretProvider } from './jwt-secret/index.js';

export function createProviderRegistry(): ProviderRegistry {
  return {
    'jwt-secret': jwtSecretProvider,
  } satisfies ProviderRegistry;
}

/** Kinds that have an adapter in `registry`. */
export function implementedKinds(registry: ProviderRegistry): ProviderKind[] {
  return PROVIDER_KINDS.filter((kind) => registry[kind] !== undefined);
}

export type { CredentialProvider, ProviderRegistry };
