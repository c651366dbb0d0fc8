/**
 * The worker: executes one run request under the group's lease, driving the run from its journaled
 * phase to the end. Every phase change is journaled (optimistic etag), and a step that depends on one
 * acts only once it is in the journal: `claimed` before the provider issues, `issued` (with what Key Vault
 * served) before Key Vault is written, the last write before the lease is let go. A write that fences
 * nothing runs alongside the step after it: `issued` while validation reads, `validated` while Key Vault
 * is written (only a validated credential is; a resume finds it by `RotationId`), `promoted` while the
 * consumers are told. So a worker that dies is replaced by the queue's retry, which resumes from the
 * journal and Key Vault.
 *
 * Throws only when the message should be retried later (lease held elsewhere, journal unreachable,
 * lease lost) or can never succeed (bad request, unmanaged secret); run failures are journaled, alerted
 * and returned.
 */
import { RotationError } from '../errors.js';
import { RUN_PHASES } from '../kinds.js';
import { finishHandOver } from '../manual/finish.js';
import type { RunRecord, RunRequest } from '../ports.js';
import { behindCalls } from './behind-calls.js';
import { escalateManualRun } from './compromise.js';
import type { EngineDeps } from './deps.js';
import { RunFlow } from './flow.js';
import { headStart, othersOf } from './head-start.js';
import { NO_VERSION } from './identity.js';
import type { LeaseKeeper } from './lease-keeper.js';
import { checkValidity, notStarted, spacingReason, startDecision } from './policy.js';
import { createOrGet, enterPhase, newRunRecord, RunWriter } from './records.js';
import { executeRepropagation } from './repropagate.js';
import { executeRollback } from './rollback-run.js';
import { acquireRunSlot, concurrencyOf, deferRun, runIdOf, takeSlotAndLease } from './slots.js';
import { claim, claimWhileChecking, issue, validate } from './steps-issue.js';
import {
  finish,
  promote,
  promoteWhileJournaling,
  propagate,
  propagateWhileJournaling,
  revoke,
  revokes,
} from './steps-promote.js';
import { type RunTarget, resolveTarget } from './target.js';

export async function executeRun(deps: EngineDeps, request: RunRequest): Promise<RunRecord> {
  if (request.dryRun) {
    throw new RotationError('BadRequest', 'dry runs change nothing and are never executed: use planRotation');
  }
  if (request.action === 'rollback' || request.action === 'repropagate')
    return executeUnderSlot(deps, request);
  const target = await resolveTarget(deps, request);
  const held = await takeSlotAndLease(deps, target);
  if (!held) return deferRun(deps, request, target.runId, concurrencyOf(deps));
  try {
    return await runUnderLease(deps, request, target, held.lease, true);
  } finally {
    // Released together: one round trip instead of one each.
    await Promise.all([held.slot.stop(), held.lease.stop()]);
  }
}

/** Rollbacks and re-propagations hold a run slot; they take the group's lease themselves. */
async function executeUnderSlot(deps: EngineDeps, request: RunRequest): Promise<RunRecord> {
  // ROTATION_CONCURRENCY: a run executes only while it holds a slot (slots.ts); else it is deferred.
  const slot = await acquireRunSlot(deps);
  if (!slot) return deferRun(deps, request, await runIdOf(deps, request), concurrencyOf(deps));
  try {
    if (request.action === 'rollback') return await executeRollback(deps, request);
    return await executeRepropagation(deps, request);
  } finally {
    await slot.stop();
  }
}

async function runUnderLease(
  deps: EngineDeps,
  request: RunRequest,
  target: RunTarget,
  keeper: LeaseKeeper,
  mayFollowUp: boolean,
): Promise<RunRecord> {
  const now = deps.clock.now();
  const head = headStart(deps, target, request);
  const readRow = () =>
    createOrGet(
      deps.journal,
      newRunRecord({
        id: target.runId,
        group: target.group,
        triggerVersion: target.triggerVersion,
        request,
        now,
      }),
    );
  // The group's Key Vault and provider reads leave first; the row is read while they are in flight.
  const row = await (head ? behindCalls(readRow) : readRow());
  const writer = new RunWriter(deps.journal, deps.clock, row, keeper);
  const flow = new RunFlow(deps, target.group, request, writer);
  const decision = startDecision(writer.run, request, now, deps.settings);
  deps.log.info('run request', { runId: target.runId, status: writer.run.status, action: decision.action });

  if (decision.action === 'report') {
    if (mayFollowUp && request.compromised && !writer.run.compromised && writer.run.status !== 'failed') {
      if (writer.run.status === 'manual-action-required') return escalateManualRun(flow);
      // Compromise reported against a run that already finished normally: rotate again, now.
      const next = await resolveTarget(deps, { ...request, triggerVersion: undefined });
      if (next.runId !== target.runId) return runUnderLease(deps, request, next, keeper, false);
    }
    return writer.snapshot();
  }

  if (head) flow.useHeadStart(head);
  // Restarts shared with the group's siblings wait for the runs announced here (consumers/app-service).
  const withdraw = deps.propagator.expect?.(target.group, target.runId);
  try {
    await begin(flow, decision.action);
    if (notStarted(flow.run) && (await skipped(flow, target, head?.others))) return writer.snapshot();
    await drive(flow);
    return writer.snapshot();
  } catch (error) {
    return flow.fail(error);
  } finally {
    withdraw?.();
  }
}

/** Journals the start of attempt n+1 (retry, or re-evaluated skip) and a compromise upgrade. */
async function begin(flow: RunFlow, action: 'start' | 'resume' | 'retry'): Promise<void> {
  const { run, request } = flow;
  const upgrade = request.compromised === true && !run.compromised;
  flow.attempting = RUN_PHASES[RUN_PHASES.indexOf(run.phase) + 1] ?? 'done';
  if (action === 'retry' || (action === 'start' && run.status !== 'queued')) {
    await flow.writer.save((d) => {
      d.attempt += 1;
      d.trigger = { ...request.trigger };
      delete d.error;
      delete d.finishedAt;
      if (upgrade) d.compromised = true;
      if (action === 'retry') d.status = 'running';
      else {
        d.status = 'queued';
        enterPhase(d, 'queued', flow.now());
      }
    });
  } else if (upgrade) {
    await flow.writer.save((d) => {
      d.compromised = true;
    });
  }
}

/**
 * Checks before anything is issued: kill switch, stale trigger, spacing (normal runs only), validity
 * and provider. Returns true when the run ended `skipped`; throws (→ failed) for configuration errors.
 * A run not claimed yet is claimed while the checks read (`claimWhileChecking`).
 */
async function skipped(
  flow: RunFlow,
  target: RunTarget,
  prefetched: Promise<PromiseSettledResult<RunRecord[]>> | undefined,
): Promise<boolean> {
  const { deps, group, run } = flow;
  if (deps.settings.paused) {
    const alerts = await flow.alert(
      'rotation-paused',
      'warning',
      `Rotation paused: ${group.id} not rotated`,
      `ROTATION_PAUSED is set; run ${run.id} (${run.trigger.kind} trigger) was skipped. Unset it and trigger again.`,
    );
    await skip(flow, { code: 'RotationPaused', message: 'skipped (paused): ROTATION_PAUSED is set' }, alerts);
    return true;
  }
  const claiming = run.phase === 'queued' ? claimWhileChecking(flow) : undefined;
  const [claimed, checked] = await Promise.allSettled([claiming, startProblem(flow, target, prefetched)]);
  if (claimed.status === 'rejected') throw claimed.reason; // a lost lease or journal first
  if (checked.status === 'rejected') throw checked.reason;
  if (!checked.value) {
    flow.claimedAhead = false; // the checks passed: the claim stands
    return false;
  }
  await skip(flow, checked.value);
  return true;
}

/**
 * Why the run must not start (stale trigger, spacing), or undefined; throws for configuration errors.
 * Writes nothing.
 */
async function startProblem(
  flow: RunFlow,
  target: RunTarget,
  prefetched: Promise<PromiseSettledResult<RunRecord[]>> | undefined,
): Promise<{ code: string; message: string } | undefined> {
  const { deps, group, run } = flow;
  // The group's reads serve this check and the claim (one Key Vault read per secret per attempt); the
  // spacing check's journal query and the provider's own preparation run alongside them (started with
  // the journal read: `headStart`).
  flow.prepareIssue();
  const [currents, others] = await Promise.all([
    flow.loadCurrents(),
    run.compromised ? Promise.resolve(undefined) : othersOf(deps, group, run.id, prefetched),
  ]);
  flow.othersAtStart = others;
  const name = target.secret.name.toLowerCase();
  const key = [...currents.keys()].find((k) => k.toLowerCase() === name);
  const current =
    key === undefined ? await deps.store.getCurrent(group.vault, target.secret.name) : currents.get(key);
  const currentVersion = current?.version.toLowerCase() ?? NO_VERSION;
  if (currentVersion !== run.triggerVersion) {
    return {
      code: 'StaleTrigger',
      message: `skipped (stale): version ${run.triggerVersion} of ${target.secret.name} is no longer current (now ${currentVersion})`,
    };
  }
  if (!run.compromised) {
    const reason = spacingReason(others ?? [], group, flow.now());
    if (reason) return { code: 'SpacingNotElapsed', message: `skipped (spacing): ${reason}` };
  }
  checkValidity(group);
  flow.provider();
  return undefined;
}

/** Ends the run `skipped`; a claim this attempt journaled ahead of the checks is taken back. */
async function skip(
  flow: RunFlow,
  why: { code: string; message: string },
  alerts: RunRecord['alerts'] = [],
): Promise<void> {
  flow.deps.log.info('run skipped', { runId: flow.run.id, code: why.code });
  await flow.writer.save((d) => {
    flow.takeBackClaim(d);
    d.status = 'skipped';
    d.error = { code: why.code, message: why.message, phase: d.phase };
    d.finishedAt = flow.now().toISOString();
    d.alerts.push(...alerts);
  });
}

/** The last step: a hand-over's run tells the operator what to do with the old key. */
function end(flow: RunFlow): Promise<void> {
  return flow.run.handOver ? finishHandOver(flow) : finish(flow);
}

/**
 * Whether propagation is the run's last step, so its write also ends the run: not when the old credential
 * is revoked next, nor for a hand-over (manual providers), which ends with its own alert (`finishHandOver`).
 */
function lastStep(flow: RunFlow): boolean {
  return !revokes(flow) && !flow.run.handOver;
}

/** Runs the steps from the journaled phase until the run ends. */
async function drive(flow: RunFlow): Promise<void> {
  for (;;) {
    const phase = flow.run.phase;
    // Every step may act on the outside world: a worker that lost the group meanwhile stops here.
    if (phase !== 'done') await flow.writer.confirmHeld();
    switch (phase) {
      case 'queued':
        await claim(flow);
        break;
      case 'claimed': {
        const issued = await issue(flow);
        if (issued === 'ended') return;
        if (issued === 'validated') {
          // Key Vault is written while `validated` is journaled (see `promoteWhileJournaling`).
          const promoted = await promoteWhileJournaling(flow);
          if (promoted) await propagateWhileJournaling(flow, promoted, { last: lastStep(flow) });
        }
        break;
      }
      case 'issued':
        await validate(flow);
        break;
      case 'validated': {
        const promoted = await promote(flow);
        // Consumers are told while `promoted` is journaled (see `propagateWhileJournaling`).
        if (promoted) await propagateWhileJournaling(flow, promoted, { last: lastStep(flow) });
        break;
      }
      case 'promoted':
        await propagate(flow, { last: lastStep(flow) });
        break;
      case 'propagated':
        if (revokes(flow)) await revoke(flow);
        else await end(flow);
        break;
      case 'revoked':
        await end(flow);
        break;
      case 'done':
        return;
      default:
        throw new RotationError('InternalError', `unknown phase ${String(phase)}`);
    }
  }
}
