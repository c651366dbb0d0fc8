/**
 * What consumers are told after a promotion. Built from the run record only: ids, names, versions and the
 * `CredentialId` — the record carries no secret values, so neither can this.
 */
import { randomUUID } from 'node:crypto';
import type { CredentialGroup, RunRecord } from '../rotation/ports.js';

export type RotationEventType =
  | 'rotation.completed'
  | 'rotation.failed'
  | 'rotation.manual-action-required'
  | 'rotation.propagation-failed'
  | 'rotation.poison-message'
  | 'rotation.secret-expired'
  | 'rotation.invalid-value-reverted'
  | 'rotation.paused'
  | 'rotation.digest';

/** The message body of a propagation (webhook JSON, Event Grid data, chat card facts). */
export interface RotationMessage {
  /** Unique per propagation; the same across retries, so receivers can de-duplicate. */
  id: string;
  type: 'rotation.completed';
  runId: string;
  vault: string;
  secrets: string[];
  group: string;
  /** Secret name → new Key Vault version id. */
  newVersions: Record<string, string>;
  credentialId: string | null;
  /** `promoted`: the new version is what Key Vault serves now. */
  status: 'promoted';
  compromised: boolean;
  occurredAt: string;
}

export function buildRotationMessage(
  run: RunRecord,
  group: CredentialGroup,
  now: Date,
  id: string = randomUUID(),
): RotationMessage {
  const secrets = run.secrets.length > 0 ? run.secrets : group.secrets.map((secret) => secret.name);
  return {
    id,
    type: 'rotation.completed',
    runId: run.id,
    vault: run.vault,
    secrets: [...secrets],
    group: run.group,
    newVersions: { ...run.newVersions },
    credentialId: run.credentialId ?? null,
    status: 'promoted',
    compromised: run.compromised,
    occurredAt: promotedAt(run) ?? now.toISOString(),
  };
}

/** When the new version went live (the journaled `promoted` phase), if the record says. */
function promotedAt(run: RunRecord): string | undefined {
  return run.phases.findLast((entry) => entry.phase === 'promoted')?.at;
}
