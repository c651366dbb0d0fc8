/** Snapshots of a vault for "nothing changed" assertions: value hashes, never values. */
import { createHash } from 'node:crypto';
import { currentVersion, type SecretVersion, type StoredSecret } from './model.js';

export interface VersionSnapshot {
  version: string;
  /** SHA-256 of the value (hex): enough to see a change without showing the value. */
  valueSha256: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

export interface SecretSnapshot {
  name: string;
  currentVersion: string;
  versions: VersionSnapshot[];
}

export interface VaultStoreSnapshot {
  secrets: SecretSnapshot[];
  deleted: (SecretSnapshot & { deletedDate: number; scheduledPurgeDate: number })[];
}

function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

function versionSnapshot(v: SecretVersion): VersionSnapshot {
  const snapshot: VersionSnapshot = {
    version: v.version,
    valueSha256: sha256(v.value),
    enabled: v.enabled,
    created: v.created,
    updated: v.updated,
  };
  if (v.contentType !== undefined) snapshot.contentType = v.contentType;
  if (v.tags !== undefined) snapshot.tags = { ...v.tags };
  if (v.nbf !== undefined) snapshot.nbf = v.nbf;
  if (v.exp !== undefined) snapshot.exp = v.exp;
  return snapshot;
}

export function secretSnapshot(secret: StoredSecret): SecretSnapshot {
  return {
    name: secret.name,
    currentVersion: currentVersion(secret).version,
    versions: [...secret.versions].sort((a, b) => a.seq - b.seq).map(versionSnapshot),
  };
}
