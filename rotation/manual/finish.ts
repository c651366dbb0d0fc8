/**
 * The end of a hand-over: other open tasks of the group closed as superseded (by the trigger that
 * promoted), then — in the worker, once consumers were propagated — the final status and the alert that
 * tells the operator what to do with the old key in the dashboard (by its version and last 4 characters,
 * in the provider's words, worded when the value was promoted).
 */
import type { RunFlow } from '../engine/flow.js';
import { enterPhase } from '../engine/records.js';
import { finalStatus } from '../engine/steps-promote.js';
import { describeError } from '../errors.js';
import { supersedeTask } from './lookup.js';
import type { PromotionInput } from './promote.js';

/** Other open tasks of the group are satisfied by this run: closed as superseded (best effort). */
export async function closeSuperseded(flow: RunFlow, input: PromotionInput): Promise<void> {
  for (const open of input.runs.open) {
    if (open.id === flow.run.id) continue;
    await supersedeTask(flow.deps, open.id, {
      runId: flow.run.id,
      why: `run ${flow.run.id} promoted ${flow.run.credentialId ?? 'a new credential'}`,
    });
  }
}

/**
 * How to retire the previous key, in the provider's words (manual providers' `revoke` only names it:
 * "… ending …abcd (Key Vault version v)"); a generic line when the provider cannot say.
 */
export async function revokeWording(flow: RunFlow): Promise<string | undefined> {
  const { run } = flow;
  const previousVersion = run.previousVersions[flow.primary.name];
  if (!previousVersion) return undefined;
  const id = run.previousCredentialId ? `, credential ${run.previousCredentialId}` : '';
  const generic =
    `delete the previous ${flow.group.provider} key ending …${run.previousKeyHint ?? '????'} ` +
    `(Key Vault version ${previousVersion}${id}) in the provider's dashboard`;
  const { provider, ctx } = flow.provider();
  if (provider.mode !== 'manual' || !provider.revoke) return generic;
  try {
    const said = await provider.revoke(ctx, {
      credentialId: run.previousCredentialId,
      version: previousVersion,
    });
    return said.pendingHuman.length > 0 ? flow.safe(said.pendingHuman.join('; ')) : generic;
  } catch (error) {
    flow.deps.log.warn('could not word the revoke reminder; using the generic one', {
      runId: run.id,
      ...describeError(error),
    });
    return generic;
  }
}

/**
 * Ends a hand-over run after propagation (and the revoke step of a compromise): its status, and the alert
 * that names where the new credential went and what to do with the old key.
 */
export async function finishHandOver(flow: RunFlow): Promise<void> {
  flow.attempting = 'done';
  const { run, group } = flow;
  const handOver = run.handOver ?? { via: 'submission' as const };
  const revokeOld = run.compromised ? undefined : handOver.revokeOld;
  const status = finalStatus(run);
  const how =
    handOver.via === 'submission'
      ? `submitted${handOver.caller ? ` by ${handOver.caller}` : ''}`
      : `set in Key Vault by hand (version ${handOver.version ?? '?'})`;
  const failed = run.consumers.filter((c) => c.status === 'failed').map((c) => c.name);
  const consumers =
    run.consumers.length === 0
      ? 'no consumers are configured'
      : failed.length > 0
        ? `consumers ${failed.join(', ')} failed to pick it up (POST /api/runs/${run.id}/propagate)`
        : `consumers ${run.consumers.map((c) => c.name).join(', ')} picked it up`;
  const next = run.compromised
    ? `URGENT: ${run.pendingHuman.join('; ') || 'revoke the leaked key in the dashboard'}.`
    : revokeOld
      ? `Next: ${revokeOld} once every consumer runs on the new key.`
      : '';
  const alerts = await flow.alert(
    'manual-action-required',
    run.compromised ? 'critical' : 'info',
    run.compromised
      ? `Replacement for compromised ${group.id} is live: revoke the leaked key now`
      : `New ${group.provider} key of ${group.id} is live: retire the old one`,
    `Run ${run.id}: ${group.provider} credential ${run.credentialId ?? ''} (…${run.keyHint ?? ''}), ${how}, ` +
      `passed the provider's check and was promoted to ${Object.entries(run.newVersions)
        .map(([name, version]) => `${name} (version ${version})`)
        .join(', ')}; ${consumers}.${run.task ? ' The rotation task is closed.' : ''} ${next}`,
  );
  await flow.writer.save((d) => {
    enterPhase(d, 'done', flow.now());
    d.status = status;
    d.finishedAt = flow.now().toISOString();
    d.alerts.push(...alerts);
  });
}
