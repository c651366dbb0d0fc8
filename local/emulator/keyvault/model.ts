/** The data model of an emulated vault's secrets. */

export interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  /** Creation order across the vault; the highest of a secret is its current version. */
  seq: number;
  /** Event bookkeeping: each fires once per version (reset when `exp` changes). */
  nearExpiryNotified: boolean;
  expiredNotified: boolean;
}

export interface StoredSecret {
  /** The name as first written (Key Vault names are case-insensitive). */
  name: string;
  /** In creation order. */
  versions: SecretVersion[];
}

export interface DeletedSecret {
  secret: StoredSecret;
  deletedDate: number;
  scheduledPurgeDate: number;
}

export interface SecretAttributesInput {
  enabled?: boolean | null;
  nbf?: number | null;
  exp?: number | null;
}

export interface SetSecretInput {
  value: string;
  contentType?: string | null;
  tags?: Record<string, string> | null;
  attributes?: SecretAttributesInput | null;
}

export interface UpdateSecretInput {
  contentType?: string | null;
  tags?: Record<string, string> | null;
  attributes?: SecretAttributesInput | null;
}

/** The newest version by creation (what Key Vault returns for "get latest"). */
export function currentVersion(secret: StoredSecret): SecretVersion {
  let current = secret.versions[0];
  for (const v of secret.versions) if (current === undefined || v.seq > current.seq) current = v;
  if (!current) throw new Error(`Secret ${secret.name} has no versions`);
  return current;
}
