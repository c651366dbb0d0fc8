/** The resolved configuration the engine, triggers and CLI work on. */
import type { CredentialGroup, ManagedSecret, VaultConfig } from '../model.js';
import type { ChannelConfig, ConfigDefaults, ConsumerConfig } from './schema.js';

export type { ChannelConfig, ConfigDefaults, ConsumerConfig };

export interface ResolvedConfig {
  vaults: VaultConfig[];
  /** Credential groups of configured secrets, sorted by vault then id. */
  groups: CredentialGroup[];
  /** Configured secrets, sorted by vault then lowercased name. */
  secrets: ManagedSecret[];
  /**
   * Consumers by name. Every `{ secretRef }` value carries its `vault` (lowercased), filled in when the
   * config named only one vault.
   */
  consumers: Record<string, ConsumerConfig>;
  /** Alert channels by name; `events` defaulted; `{ secretRef }` values carry their `vault`. */
  channels: Record<string, ChannelConfig>;
  defaults: ConfigDefaults;
  /** Days before expiry for owner reminders, sorted descending. */
  reminders: number[];
  /** The vault to use when a request names none: set only when exactly one vault is configured. */
  defaultVault: string | undefined;
  /** A configured secret (names compared case-insensitively). */
  findSecret(vault: string, name: string): ManagedSecret | undefined;
  findGroup(vault: string, groupId: string): CredentialGroup | undefined;
  /**
   * The secret and its group: from the config, else inferred from Microsoft-style tags
   * (`CredentialId`, `ProviderAddress`, `ValidityPeriodDays`) as a group of its own.
   * Undefined when the secret is neither configured nor tagged.
   */
  resolveSecret(
    vault: string,
    name: string,
    tags?: Record<string, string>,
  ): { secret: ManagedSecret; group: CredentialGroup } | undefined;
}
