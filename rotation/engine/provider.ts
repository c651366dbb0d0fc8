/** Looks up the group's provider and parses its settings with the provider's own schema. */
import { RotationError } from '../errors.js';
import type { CredentialGroup, CredentialProvider, ProviderContext } from '../ports.js';
import type { EngineDeps } from './deps.js';

export interface BoundProvider {
  provider: CredentialProvider;
  ctx: ProviderContext<unknown>;
}

export function requireProvider(
  deps: Pick<EngineDeps, 'providers'>,
  group: CredentialGroup,
): CredentialProvider {
  const provider = deps.providers[group.provider];
  if (!provider) {
    throw new RotationError(
      'ProviderNotImplemented',
      `provider ${group.provider} has no adapter yet; group ${group.id} in vault ${group.vault} cannot rotate`,
    );
  }
  return provider;
}

export function bindProvider(
  deps: Pick<EngineDeps, 'providers' | 'clock' | 'log' | 'store'>,
  group: CredentialGroup,
  signal?: AbortSignal,
): BoundProvider {
  const provider = requireProvider(deps, group);
  const parsed = provider.settingsSchema.safeParse(group.settings);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => ({
      path: ['settings', ...issue.path.map(String)].join('.'),
      message: issue.message,
    }));
    throw new RotationError(
      'ConfigInvalid',
      `group ${group.id}: settings for provider ${group.provider} are invalid (${details.map((d) => d.path).join(', ')})`,
      { details },
    );
  }
  const ctx: ProviderContext<unknown> = {
    group,
    settings: parsed.data,
    clock: deps.clock,
    log: deps.log,
    secrets: deps.store,
    ...(signal ? { signal } : {}),
  };
  return { provider, ctx };
}
