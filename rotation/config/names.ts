/**
 * Naming rules shared by the config schema and the event parser. Key Vault names are
 * case-insensitive: everything here is compared and stored lowercased.
 */
import { z } from 'zod';

/**
 * Key Vault vault names: 3–24 characters, letters, digits and hyphens, start with a letter, end with a
 * letter or digit, no consecutive hyphens (written as one pattern so the JSON schema carries it too).
 */
export const VAULT_NAME_PATTERN = /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;
/** Key Vault secret names: 1–127 letters, digits and hyphens. */
export const SECRET_NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;
/**
 * Credential group ids end up in blob lease paths (`rotation-locks/<vault>/<group>`) and table keys,
 * so they follow the secret-name alphabet.
 */
export const GROUP_NAME_PATTERN = /^[0-9a-zA-Z][0-9a-zA-Z-]{0,126}$/;
/** Consumer and channel names: what an operator types in `consumers`/`channels` lists. */
export const REF_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;

export const VAULT_NAME_RULE =
  'must be a Key Vault name: 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, no "--"';
export const SECRET_NAME_RULE = 'must be a Key Vault secret name: 1-127 letters, digits and hyphens';
export const GROUP_NAME_RULE = 'must be 1-127 letters, digits and hyphens, starting with a letter or digit';
export const REF_NAME_RULE = 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit';

export function isVaultName(value: string): boolean {
  return VAULT_NAME_PATTERN.test(value);
}

export function isSecretName(value: string): boolean {
  return SECRET_NAME_PATTERN.test(value);
}

export const vaultNameSchema = z
  .string()
  .regex(VAULT_NAME_PATTERN, { error: VAULT_NAME_RULE })
  .describe('Key Vault name (case-insensitive; stored lowercased).');

export const secretNameSchema = z
  .string()
  .regex(SECRET_NAME_PATTERN, { error: SECRET_NAME_RULE })
  .describe('Key Vault secret name (case-insensitive).');
