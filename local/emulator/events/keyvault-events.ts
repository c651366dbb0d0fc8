/**
 * Key Vault secret events in the Event Grid schema, with the key sets of the published examples:
 * `id, topic, subject, eventType, eventTime, data, dataVersion, metadataVersion`, and PascalCase `data`
 * (`NBF`/`EXP` as strings of Unix seconds, or null). `eventTime` has 7 fractional digits, as Event Grid sends.
 */
import { randomUUID } from 'node:crypto';
import type { SecretVersion, StoredSecret } from '../keyvault/store.js';
import { currentVersion } from '../keyvault/store.js';

export const KEY_VAULT_EVENT_TYPES = [
  'Microsoft.KeyVault.SecretNewVersionCreated',
  'Microsoft.KeyVault.SecretNearExpiry',
  'Microsoft.KeyVault.SecretExpired',
] as const;
export type KeyVaultEventType = (typeof KEY_VAULT_EVENT_TYPES)[number];

/** SecretNearExpiry fires this long before `exp` (fixed by Key Vault). */
export const NEAR_EXPIRY_SECONDS = 30 * 86_400;

export interface KeyVaultEventData {
  Id: string;
  VaultName: string;
  ObjectType: 'Secret';
  ObjectName: string;
  Version: string;
  NBF: string | null;
  EXP: string | null;
}

export interface EventGridEvent<T = unknown> {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: T;
  dataVersion: string;
  metadataVersion: string;
}

/** What an event needs to know about its vault. */
export interface VaultIdentity {
  name: string;
  /** The vault's origin, e.g. `https://127.0.0.1:40123`. */
  url: string;
  /** ARM id of the vault: `/subscriptions/…/resourceGroups/…/providers/Microsoft.KeyVault/vaults/<name>`. */
  topic: string;
}

let tick = 0;

/** ISO time with 7 fractional digits (Event Grid's precision); sub-millisecond digits keep events ordered. */
export function eventTime(date: Date): string {
  tick = (tick + 1) % 10_000;
  return date
    .toISOString()
    .replace(/\.(\d{3})Z$/, (_m, ms: string) => `.${ms}${String(tick).padStart(4, '0')}Z`);
}

export function secretEvent(
  type: KeyVaultEventType,
  vault: VaultIdentity,
  secret: StoredSecret,
  version: SecretVersion,
  now: Date,
): EventGridEvent<KeyVaultEventData> {
  return {
    id: randomUUID(),
    topic: vault.topic,
    subject: secret.name,
    eventType: type,
    eventTime: eventTime(now),
    data: {
      Id: `${vault.url}/secrets/${encodeURIComponent(secret.name)}/${version.version}`,
      VaultName: vault.name,
      ObjectType: 'Secret',
      ObjectName: secret.name,
      Version: version.version,
      NBF: version.nbf === undefined ? null : String(version.nbf),
      EXP: version.exp === undefined ? null : String(version.exp),
    },
    dataVersion: '1',
    metadataVersion: '1',
  };
}

/**
 * Expiry events due for a vault's secrets at `now`: SecretNearExpiry once per version from 30 days before
 * `exp`, SecretExpired once at `exp` (both, in that order, when the clock jumps past both). Only the current
 * version of each secret counts, as Key Vault documents; a version's flags are set here so each fires once.
 */
export function dueExpiryEvents(
  vault: VaultIdentity,
  secrets: readonly StoredSecret[],
  now: Date,
): EventGridEvent<KeyVaultEventData>[] {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const events: EventGridEvent<KeyVaultEventData>[] = [];
  for (const secret of secrets) {
    const version = currentVersion(secret);
    if (version.exp === undefined) continue;
    if (!version.nearExpiryNotified && nowSeconds >= version.exp - NEAR_EXPIRY_SECONDS) {
      version.nearExpiryNotified = true;
      events.push(secretEvent('Microsoft.KeyVault.SecretNearExpiry', vault, secret, version, now));
    }
    if (!version.expiredNotified && nowSeconds >= version.exp) {
      version.expiredNotified = true;
      events.push(secretEvent('Microsoft.KeyVault.SecretExpired', vault, secret, version, now));
    }
  }
  return events;
}
