/**
 * Rollback: re-promote the credential that was current before the run that wrote the current version,
 * when it still works at the provider (under dual-key it does: a plain rotation leaves the previous key
 * live), propagate it, and record the rollback as a run of its own (`rollbackOf`, trigger `rollback`).
 *
 * `requestRollback` (HTTP, CLI) checks everything it can without writing, journals the run as `queued`
 * and enqueues it; the worker runs `executeRollback` under the group's lease. The rollback's identity is
 * `(vault, group, "rollback:" + current version)`, apart from rotations of that version.
 *
 * Refused: a current version the rotator did not write, a group whose secrets are not all on that run's
 * versions, a run in progress, a previous credential that was revoked as compromised, a disabled previous
 * version (422), or a previous credential the provider now rejects (the run fails with `CredentialRejected`).
 * The new versions carry the previous version's `CredentialId` and a fresh expiry; nothing is revoked.
 */
import { RotationError } from '../errors.js';
import { readTag, TAGS } from '../kinds.js';
import type { CredentialGroup, IssuedCredential, RunRecord, RunRequest, SecretVersion } from '../ports.js';
import { sendAlert } from './alerts.js';
import { type EngineDeps, timingOf } from './deps.js';
import { RunFlow } from './flow.js';
import { createRunIdentity } from './identity.js';
import { acquireGroupLease } from './lease-keeper.js';
import { createOrGet, enterPhase, newRunRecord, RunWriter } from './records.js';
import { nextDelay } from './retry.js';
import { inProgressRunOf, resolveManaged } from './run-lookup.js';
import { claim } from './steps-issue.js';
import { finalStatus, promote, propagate } from './steps-promote.js';
import { keyHint, rotationIdOf } from './tags.js';

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

function rollbackRecord(
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

/** The worker's side: runs the rollback under the group's lease, from its journaled phase. */
export async function executeRollback(deps: EngineDeps, request: RunRequest): Promise<RunRecord> {
  const { group } = await resolveManaged(deps, request.vault, request.secret);
  if (!request.triggerVersion)
    throw new RotationError('BadRequest', 'a rollback request needs triggerVersion');
  const id = rollbackRunId(group.vault, group.id, request.triggerVersion);
  const keeper = await acquireGroupLease(deps, group.vault, group.id, timingOf(deps));
  try {
    const existing = await deps.journal.get(id);
    const row = existing
      ? { ...existing, created: false }
      : await createOrGet(
          deps.journal,
          rollbackRecord(deps, await prepareRollback(deps, request.vault, request.secret), request),
        );
    const writer = new RunWriter(deps.journal, deps.clock, row, () => keeper.assertHeld());
    const flow = new RunFlow(deps, group, request, writer);
    const run = writer.run;
    const newTrigger = run.finishedAt === undefined || request.requestedAt >= run.finishedAt;
    if (run.status === 'failed' && newTrigger) {
      await writer.save((d) => {
        d.attempt += 1;
        d.status = 'running';
        d.trigger = { ...request.trigger };
        delete d.error;
        delete d.finishedAt;
      });
    } else if (run.status !== 'queued' && run.status !== 'running') {
      return writer.snapshot();
    }
    try {
      await driveRollback(flow);
    } catch (error) {
      return await flow.fail(error);
    }
    return writer.snapshot();
  } finally {
    await keeper.stop();
  }
}

async function driveRollback(flow: RunFlow): Promise<void> {
  for (;;) {
    switch (flow.run.phase) {
      case 'queued':
        await claim(flow);
        await checkStillCurrent(flow);
        break;
      case 'claimed':
      case 'issued':
        await loadPrevious(flow);
        await validatePrevious(flow);
        break;
      case 'validated':
        await loadPrevious(flow);
        await promote(flow);
        break;
      case 'promoted':
        await propagate(flow);
        break;
      case 'propagated':
      case 'revoked':
        await finishRollback(flow);
        return;
      case 'done':
        return;
    }
  }
}

/** The group must still serve what the rollback was asked against (nobody rotated in between). */
async function checkStillCurrent(flow: RunFlow): Promise<void> {
  const { run } = flow;
  const source = (await flow.deps.journal.get(run.rollbackOf ?? ''))?.run;
  for (const secret of flow.group.secrets) {
    const served = run.previousVersions[secret.name];
    if (!source || served === undefined || served !== source.newVersions[secret.name]) {
      throw new RotationError(
        'StaleTrigger',
        `secret ${secret.name} changed since the rollback was requested (now ${served ?? 'none'}); request it again`,
      );
    }
  }
}

/** Reads the versions to re-promote (memory only) and adopts them as the run's credential. */
async function loadPrevious(flow: RunFlow): Promise<void> {
  if (flow.credential) return;
  const to = flow.run.rollbackTo ?? {};
  const versions = new Map<string, SecretVersion>();
  for (const secret of flow.group.secrets) {
    const version = to[secret.name];
    const found = version
      ? await flow.deps.store.getVersion(flow.group.vault, secret.name, version)
      : undefined;
    if (!found) {
      throw new RotationError('SecretNotFound', `version ${version ?? '?'} of ${secret.name} is gone`);
    }
    versions.set(secret.name, found);
  }
  const main = flow.group.secrets.find((s) => s.part === undefined) ?? flow.primary;
  const mainVersion = versions.get(main.name)!;
  const parts: Record<string, string> = {};
  for (const secret of flow.group.secrets) {
    if (secret.part !== undefined) parts[secret.part] = versions.get(secret.name)!.value;
  }
  const providerAddress = readTag(mainVersion.tags, TAGS.providerAddress);
  const credential: IssuedCredential = {
    value: mainVersion.value,
    credentialId: readTag(mainVersion.tags, TAGS.credentialId) ?? `version:${mainVersion.version}`,
    ...(providerAddress ? { providerAddress } : {}),
    ...(Object.keys(parts).length > 0 ? { parts } : {}),
  };
  flow.adoptCredential(credential);
  if (flow.run.phase === 'claimed') {
    await flow.writer.save((d) => {
      enterPhase(d, 'issued', flow.now());
      d.credentialId = credential.credentialId;
      d.keyHint = keyHint(credential.value);
    });
  }
}

/**
 * Asks the provider whether the previous credential still works. `rejected` is final at once (it worked
 * before, so it was revoked or regenerated); `unavailable` is retried until the validation timeout.
 */
async function validatePrevious(flow: RunFlow): Promise<void> {
  flow.attempting = 'validated';
  const { provider, ctx } = flow.provider();
  const { deps } = flow;
  const deadline = deps.clock.now().getTime() + deps.settings.validationTimeoutSeconds * 1000;
  let delay = flow.timing.validation.initialDelayMs;
  for (;;) {
    const result = await provider.validate(ctx, flow.credential!);
    if (result.ok) break;
    if (result.outcome === 'rejected') {
      throw new RotationError(
        'CredentialRejected',
        `the previous credential ${flow.run.credentialId ?? ''} no longer works at ${flow.group.provider}: ${flow.safe(result.reason)}`,
      );
    }
    const wait = Math.max(delay, (result.retryAfterSeconds ?? 0) * 1000);
    if (deps.clock.now().getTime() + wait > deadline) {
      throw new RotationError(
        'ProviderUnavailable',
        `could not check the previous credential at ${flow.group.provider}: ${flow.safe(result.reason)}`,
        {
          transient: true,
          ...(result.retryAfterSeconds ? { retryAfterSeconds: result.retryAfterSeconds } : {}),
        },
      );
    }
    await deps.clock.sleep(wait);
    delay = nextDelay(delay, flow.timing.validation);
  }
  await flow.writer.save((d) => enterPhase(d, 'validated', flow.now()));
}

async function finishRollback(flow: RunFlow): Promise<void> {
  flow.attempting = 'done';
  const { run, group } = flow;
  const status = finalStatus(run);
  const alerts = await sendAlert(flow.deps, {
    kind: 'run-succeeded',
    severity: 'warning',
    title: `Credential of ${group.id} rolled back`,
    text: flow.safe(
      `Run ${run.id} re-promoted ${run.credentialId ?? 'the previous credential'} (…${run.keyHint ?? ''}) ` +
        `from before run ${run.rollbackOf ?? '?'}; requested by ${run.trigger.caller ?? 'unknown'}` +
        `${run.trigger.reason ? ` (${run.trigger.reason})` : ''}; status ${status}.`,
    ),
    vault: group.vault,
    secrets: group.secrets.map((s) => s.name),
    runId: run.id,
    channels: [...group.channels],
  });
  await flow.writer.save((d) => {
    enterPhase(d, 'done', flow.now());
    d.status = status;
    d.finishedAt = flow.now().toISOString();
    d.alerts.push(...alerts);
  });
}
