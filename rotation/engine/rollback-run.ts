/**
 * The worker's side of a rollback (`rollback.ts` checks and enqueues): under the group's lease, from the
 * journaled phase — claim (the versions served now), load the previous versions' values (memory only),
 * ask the provider whether they still work, promote them to every secret of the group, propagate, done.
 * Nothing is revoked: the credential rolled back from stays valid until the next rotation replaces it.
 */
import { RotationError } from '../errors.js';
import { readTag, TAGS } from '../kinds.js';
import type { IssuedCredential, RunRecord, RunRequest, SecretVersion } from '../ports.js';
import { sendAlert } from './alerts.js';
import { type EngineDeps, timingOf } from './deps.js';
import { RunFlow } from './flow.js';
import { acquireGroupLease } from './lease-keeper.js';
import { createOrGet, enterPhase, RunWriter } from './records.js';
import { nextDelay } from './retry.js';
import { prepareRollback, rollbackRecord, rollbackRunId } from './rollback.js';
import { resolveManaged } from './run-lookup.js';
import { claim } from './steps-issue.js';
import { finalStatus, promote, propagate } from './steps-promote.js';
import { keyHint } from './tags.js';

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
    const writer = new RunWriter(deps.journal, deps.clock, row, keeper);
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
    // As `drive`: a worker that lost the group meanwhile (a stall, a broken lease) writes nothing back.
    if (flow.run.phase !== 'done') await flow.writer.confirmHeld();
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
        await promoteRollback(flow);
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

/**
 * Writes the versions back as the current ones and journals `promoted` before consumers are told (a
 * rollback is rare and already slow to decide: it keeps the plain order).
 */
async function promoteRollback(flow: RunFlow): Promise<void> {
  const promoted = await promote(flow);
  if (promoted) await flow.writer.save(promoted);
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
