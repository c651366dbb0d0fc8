/**
 * JSON bodies exactly as Key Vault spells them (key sets and order as in the recorded traffic): PUT and GET
 * carry `value`; PATCH, DELETE, deleted-secret and list bodies do not; list items have ids without version.
 */
import {
  currentVersion,
  type DeletedSecret,
  RECOVERABLE_DAYS,
  RECOVERY_LEVEL,
  type SecretVersion,
  type StoredSecret,
} from './store.js';

export interface SecretAttributesJson {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  recoveryLevel: string;
  recoverableDays: number;
}

function attributes(v: SecretVersion): SecretAttributesJson {
  const json: Partial<SecretAttributesJson> = { enabled: v.enabled };
  if (v.nbf !== undefined) json.nbf = v.nbf;
  if (v.exp !== undefined) json.exp = v.exp;
  json.created = v.created;
  json.updated = v.updated;
  json.recoveryLevel = RECOVERY_LEVEL;
  json.recoverableDays = RECOVERABLE_DAYS;
  return json as SecretAttributesJson;
}

function secretId(vaultUrl: string, secret: StoredSecret, version?: string): string {
  const base = `${vaultUrl}/secrets/${encodeURIComponent(secret.name)}`;
  return version ? `${base}/${version}` : base;
}

function withMeta(head: Record<string, unknown>, v: SecretVersion, id: string): Record<string, unknown> {
  const json: Record<string, unknown> = { ...head };
  if (v.contentType !== undefined) json.contentType = v.contentType;
  json.id = id;
  json.attributes = attributes(v);
  if (v.tags !== undefined) json.tags = { ...v.tags };
  return json;
}

/** PUT / GET: the secret bundle with its value. */
export function secretBundle(
  vaultUrl: string,
  secret: StoredSecret,
  v: SecretVersion,
): Record<string, unknown> {
  return withMeta({ value: v.value }, v, secretId(vaultUrl, secret, v.version));
}

/** PATCH / recover: the bundle without the value. */
export function secretProperties(
  vaultUrl: string,
  secret: StoredSecret,
  v: SecretVersion,
): Record<string, unknown> {
  return withMeta({}, v, secretId(vaultUrl, secret, v.version));
}

/** An item of `GET /secrets`: the current version's properties, id without version. */
export function secretItem(vaultUrl: string, secret: StoredSecret): Record<string, unknown> {
  return withMeta({}, currentVersion(secret), secretId(vaultUrl, secret));
}

/** An item of `GET /secrets/{name}/versions`: id with version. */
export function versionItem(
  vaultUrl: string,
  secret: StoredSecret,
  v: SecretVersion,
): Record<string, unknown> {
  return withMeta({}, v, secretId(vaultUrl, secret, v.version));
}

function deletedHead(vaultUrl: string, deleted: DeletedSecret): Record<string, unknown> {
  return {
    recoveryId: `${vaultUrl}/deletedsecrets/${encodeURIComponent(deleted.secret.name)}`,
    deletedDate: deleted.deletedDate,
    scheduledPurgeDate: deleted.scheduledPurgeDate,
  };
}

/** DELETE / `GET /deletedsecrets/{name}`: versioned id, no value. */
export function deletedBundle(vaultUrl: string, deleted: DeletedSecret): Record<string, unknown> {
  const v = currentVersion(deleted.secret);
  return withMeta(deletedHead(vaultUrl, deleted), v, secretId(vaultUrl, deleted.secret, v.version));
}

/** An item of `GET /deletedsecrets`: id without version. */
export function deletedItem(vaultUrl: string, deleted: DeletedSecret): Record<string, unknown> {
  const v = currentVersion(deleted.secret);
  return withMeta(deletedHead(vaultUrl, deleted), v, secretId(vaultUrl, deleted.secret));
}
