/**
 * Resolves consumer and channel settings given as `{ secretRef }` (webhook URLs with tokens, signing keys,
 * Event Grid access keys) from Key Vault at delivery time. Values are returned to the adapter that needs
 * them and never logged; errors name the reference, never the value. Not cached: a signing key may itself
 * be rotated.
 */
import { RotationError } from '../rotation/errors.js';
import type { SecretStore } from '../rotation/ports.js';

export type SettingValue = string | { secretRef: string; vault?: string | undefined };

export function createSettingResolver(
  store: SecretStore,
  defaultVault: string | undefined,
): (value: SettingValue) => Promise<string> {
  return async (value) => {
    if (typeof value === 'string') return value;
    const vault = value.vault ?? defaultVault;
    if (vault === undefined) {
      throw new RotationError(
        'ConfigInvalid',
        `setting {"secretRef": "${value.secretRef}"} names no vault and several vaults are configured`,
      );
    }
    const current = await store.getCurrent(vault.toLowerCase(), value.secretRef);
    if (current === undefined) {
      throw new RotationError(
        'ConfigInvalid',
        `secret ${value.secretRef} referenced by a setting does not exist in vault ${vault}`,
      );
    }
    if (!current.enabled || current.value === '') {
      throw new RotationError(
        'ConfigInvalid',
        `secret ${value.secretRef} referenced by a setting is disabled or empty in vault ${vault}`,
      );
    }
    return current.value;
  };
}
