/**
 * Rollback: re-promote the credential that was current before the run that wrote the current version,
 * when it still works at the provider (under dual-key it does: a plain rotation leaves the previous key
 * live), propagate it, and record the rollback as a run of its own (`rollbackOf`, trigger `rollback`).
 *
 * `requestRollback` (HTTP, CLI) checks everything it can without writing, journals the run as `queued`
 * and enqueues it; the worker runs `executeRollback` (`rollback-run.ts`) under the group's lease. The rollback's identity is
 * `(vault, group, "rollback:" + current version)`, apart from rotations of that version.
 *
 * Refused: a current version the rotator did not write, a group whose secrets are not all on that run's
 * versions, a run in progress, a previous credential that was revoked as compromised, a disabled previous
 * version (422), or a previous credential the provider now rejects (the run fails with `CredentialRejected`).
 * The new versions carry the previous version's `CredentialId` and a fresh expiry; nothing is revoked.
 */
import { RotationError } from '../errors.js';
import type { CredentialGroup, RunRecord, RunRequest } from '../ports.js';
import type { EngineDeps } from './deps.js';
import { createRunIdentity } from './identity.js';
import { createOrGet, newRunRecord } from './records.js';
import { inProgressRunOf, resolveManaged } from './run-lookup.js';
import { rotationIdOf } from './tags.js';

export function rollbackRunId(vault: string, group: string, currentVersion: string): string {
  return createRunIdentity(vault, group, `rollback:${currentVersion}`);
}

export interface RollbackTarget {
  group: CredentialGroup;
  /** The named secret's current version (the rollback's trigger version). */
  currentVersion: string;
  /** The run whose previous credential comes back. */
  source: RunRecord;
  /** Version per secret to re-promote. */
  to: Record<string, string>;
  runId: string;
}

/** Every check a rollback can make without writing or calling the provider. */
export async function prepareRollback(
  deps: Pick<EngineDeps, 'catalog' | 'store' | 'journal'>,
  vault: string,
  secretName: string,
): Promise<RollbackTarget> {
  const { secret, group } = await resolveManaged(deps, vault, secretName);
  const current = await deps.store.getCurrent(group.vault, secret.name);
  if (!current) {
    throw new RotationError('SecretNotFound', `secret ${secret.name} has no version in vault ${group.vault}`);
  }
  const busy = await inProgressRunOf(deps.journal, group);
  if (busy) {
    throw new RotationError('RunInProgress', `run ${busy.id} of group ${group.id} is ${busy.status}`, {
      details: [{ path: 'runId', message: busy.id }],
    });
  }
  const sourceId = rotationIdOf(current.tags);
  if (!sourceId) {
    throw new RotationError(
      'BadRequest',
      `version ${current.version} of ${secret.name} was not written by the rotator: there is no recorded previous credential to roll back to`,
    );
  }
  const source = (await deps.journal.get(sourceId))?.run;
  if (!source) {
    throw new RotationError(
      'BadRequest',
      `run ${sourceId}, which wrote version ${current.version} of ${secret.name}, is not in the journal`,
    );
  }
  if (source.compromised) {
    throw new RotationError(
      'CredentialRejected',
      `run ${source.id} replaced a compromised credential: the previous one was revoked and must not come back`,
    );
  }
  const to: Record<string, string> = {};
  for (const member of group.secrets) {
    const served =
      member.name === secret.name ? current : await deps.store.getCurrent(group.vault, member.name);
    if (!served || served.version !== source.newVersions[member.name]) {
      throw new RotationError(
        'StaleTrigger',
        `secret ${member.name} does not serve the version run ${source.id} wrote (now ${served?.version ?? 'none'}); roll back only a consistent group`,
      );
    }
    const previous = source.previousVersions[member.name];
    if (!previous) {
      throw new RotationError(
        'BadRequest',
        `secret ${member.name} had no version before run ${source.id}: nothing to roll back to`,
      );
    }
    let enabled: boolean | undefined;
    for await (const v of deps.store.listVersions(group.vault, member.name)) {
      if (v.version === previous) enabled = v.enabled;
    }
    if (enabled === undefined) {
      throw new RotationError('SecretNotFound', `version ${previous} of ${member.name} no longer exists`);
    }
    if (!enabled) {
      throw new RotationError(
        'CredentialRejected',
        `version ${previous} of ${member.name} is disabled (revoked): it cannot come back`,
      );
    }
    to[member.name] = previous;
  }
  const currentVersion = current.version.toLowerCase();
  return {
    group,
    currentVersion,
    source,
    to,
    runId: rollbackRunId(group.vault, group.id, currentVersion),
  };
}

export function rollbackRecord(
  deps: Pick<EngineDeps, 'clock'>,
  target: RollbackTarget,
  request: RunRequest,
): RunRecord {
  const run = newRunRecord({
    id: target.runId,
    group: target.group,
    triggerVersion: target.currentVersion,
    request,
    now: deps.clock.now(),
  });
  run.rollbackOf = target.source.id;
  run.rollbackTo = { ...target.to };
  return run;
}

export type RollbackOutcome = { run: RunRecord; created: boolean; enqueued: boolean };

/**
 * Checks, journals the rollback run as `queued` and enqueues it. A rollback that failed before is
 * queued again (attempt n+1); a duplicate of one in progress is `RunInProgress`.
 */
export async function requestRollback(
  deps: EngineDeps,
  input: { vault: string; secret: string; trigger: RunRequest['trigger']; requestedAt?: string },
): Promise<RollbackOutcome> {
  if (deps.settings.paused) {
    throw new RotationError('RotationPaused', 'ROTATION_PAUSED is set: rollbacks are paused too');
  }
  const existingId = await currentRollbackId(deps, input.vault, input.secret);
  const existing = existingId ? await deps.journal.get(existingId) : undefined;
  if (existing?.run.status === 'failed') {
    const request = rollbackRequest(existing.run, input, deps.clock.now());
    await deps.queue.enqueue(request);
    return { run: existing.run, created: false, enqueued: true };
  }
  const target = await prepareRollback(deps, input.vault, input.secret);
  const request: RunRequest = {
    vault: target.group.vault,
    secret: input.secret,
    triggerVersion: target.currentVersion,
    trigger: { ...input.trigger, kind: 'rollback' },
    requestedAt: input.requestedAt ?? deps.clock.now().toISOString(),
    action: 'rollback',
  };
  const row = await createOrGet(deps.journal, rollbackRecord(deps, target, request));
  if (!row.created) return { run: row.run, created: false, enqueued: false };
  await deps.queue.enqueue(request);
  deps.log.info('rollback queued', { runId: row.run.id, rollbackOf: target.source.id });
  return { run: row.run, created: true, enqueued: true };
}

/** The id a rollback of the secret's current version has (whether or not it exists). */
async function currentRollbackId(
  deps: Pick<EngineDeps, 'catalog' | 'store'>,
  vault: string,
  secretName: string,
): Promise<string | undefined> {
  const { secret, group } = await resolveManaged(deps, vault, secretName);
  const current = await deps.store.getCurrent(group.vault, secret.name);
  return current ? rollbackRunId(group.vault, group.id, current.version.toLowerCase()) : undefined;
}

function rollbackRequest(
  run: RunRecord,
  input: { secret: string; trigger: RunRequest['trigger']; requestedAt?: string },
  now: Date,
): RunRequest {
  return {
    vault: run.vault,
    secret: input.secret,
    triggerVersion: run.triggerVersion,
    trigger: { ...input.trigger, kind: 'rollback' },
    requestedAt: input.requestedAt ?? now.toISOString(),
    action: 'rollback',
  };
}
