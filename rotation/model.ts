/**
 * The resolved configuration model the engine works on. `rotation/config` turns `rotation.json`
 * (and Microsoft-style tags on unconfigured secrets) into these.
 */
import type { ProviderKind } from './kinds.js';

/** A setting value may be given inline or as a reference to a Key Vault secret. */
export type SettingValue = string | { secretRef: string; vault?: string };

export interface ManagedSecret {
  /** Lowercased Key Vault name. */
  vault: string;
  /** Secret name as configured (Key Vault names are case-insensitive; compare lowercased). */
  name: string;
  provider: ProviderKind;
  /** Lowercased credential group id (DESIGN.md: all secrets holding keys of one provider resource). */
  group: string;
  /** Provider settings, validated by the provider's own schema at run time. */
  settings: Record<string, unknown>;
  validityDays: number;
  minIntervalHours: number;
  /** Days the previous credential stays usable after a rotation before policy revokes it. */
  graceDays?: number;
  /** Names of consumers (keys of `ResolvedConfig.consumers`). */
  consumers: string[];
  /** Names of alert channels (keys of `ResolvedConfig.channels`). */
  channels: string[];
  owners: string[];
  /** `config` when listed in rotation.json, `tags` when inferred from Microsoft-style tags. */
  source: 'config' | 'tags';
  /** For multi-part credentials (Razorpay key id + secret): which part this secret holds. */
  part?: string;
}

export interface CredentialGroup {
  vault: string;
  id: string;
  provider: ProviderKind;
  settings: Record<string, unknown>;
  secrets: ManagedSecret[];
  validityDays: number;
  minIntervalHours: number;
  /** Longest `graceDays` of the group's secrets. */
  graceDays?: number;
  consumers: string[];
  channels: string[];
  owners: string[];
}

export interface VaultConfig {
  /** Lowercased vault name. */
  name: string;
  /** Vault URL; locally filled from `.local/endpoints.json`. */
  url?: string;
}
