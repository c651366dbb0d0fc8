/**
 * The hand-set value the provider rejected is replaced at once: the last valid value is written back as
 * the current version (tagged `RotatedBy`, so its own event is ignored, with the expiry and content type
 * it had), the rejection is recorded on the open task, and an `invalid-value-reverted` alert goes out.
 */
import { redact, sendAlert } from '../engine/alerts.js';
import type { EngineDeps } from '../engine/deps.js';
import type { LeaseKeeper } from '../engine/lease-keeper.js';
import { RunWriter } from '../engine/records.js';
import { describeError } from '../errors.js';
import { ROTATED_BY_VALUE, TAGS } from '../kinds.js';
import type { CredentialGroup, ManagedSecret, RunRecord, SecretVersion } from '../ports.js';
import type { HandSetOutcome } from './hand-set.js';
import type { GroupRuns } from './lookup.js';
import { handOverText, taskOf } from './task.js';

/** How long a reverted part set by hand waits for its partner (Razorpay key id and secret set one by one). */
export const PAIR_WINDOW_MS = 15 * 60_000;

export interface RevertInput {
  group: CredentialGroup;
  named: ManagedSecret;
  handSet: SecretVersion;
  lastGood: SecretVersion | undefined;
  runs: GroupRuns;
  reason: string;
}

/** Writes the last valid value back as the current version, records the rejection on the open task, alerts. */
export async function revert(
  deps: EngineDeps,
  keeper: LeaseKeeper,
  input: RevertInput,
): Promise<HandSetOutcome> {
  const { group, named, handSet, lastGood } = input;
  const secrets = [handSet.value, ...(lastGood ? [lastGood.value] : [])];
  const reason = redact(input.reason, secrets);
  const task = input.runs.open[0];
  const base = {
    kind: 'invalid-value-reverted' as const,
    vault: group.vault,
    secrets: [named.name],
    ...(task ? { runId: task.id } : {}),
    channels: [...group.channels],
  };
  if (!lastGood) {
    deps.log.error('invalid value set by hand; nothing to restore', {
      secret: named.name,
      version: handSet.version,
    });
    await sendAlert(deps, {
      ...base,
      severity: 'critical',
      title: `Invalid value in ${named.name}: nothing valid to restore`,
      text: redact(
        `Version ${handSet.version} of ${named.name} (vault ${group.vault}) was set by hand and ${group.provider} rejects it (${reason}). ` +
          `There is no earlier version to restore: consumers reading it will fail. ${handOverText(group)}`,
        secrets,
      ),
    });
    return { kind: 'ignored', reason: 'rejected; no earlier version to restore' };
  }
  const tags = { ...lastGood.tags, [TAGS.rotatedBy]: ROTATED_BY_VALUE };
  await keeper.confirmFresh(); // writing Key Vault: only on a fresh confirmation of the group's lease
  const written = await deps.store.setSecret(group.vault, named.name, {
    value: lastGood.value,
    tags,
    ...(lastGood.expiresOn ? { expiresOn: lastGood.expiresOn } : {}),
    ...(lastGood.contentType === undefined ? {} : { contentType: lastGood.contentType }),
  });
  deps.log.warn('invalid value set by hand reverted', {
    secret: named.name,
    rejectedVersion: handSet.version,
    restoredFrom: lastGood.version,
    version: written.version,
  });
  const pairHint =
    named.part !== undefined
      ? ` If you are setting the parts one after the other, set the other part within ${PAIR_WINDOW_MS / 60_000} minutes: it is checked together with this one.`
      : '';
  const alerts = await sendAlert(deps, {
    ...base,
    severity: 'critical',
    title: `Invalid value set by hand in ${named.name} was reverted`,
    text: redact(
      `Version ${handSet.version} of ${named.name} (vault ${group.vault}) was set by hand and ${group.provider} rejects it: ` +
        `${reason}. The last valid value (version ${lastGood.version}) is current again as version ${written.version}; ` +
        `consumers keep working.${task ? ` The rotation task of run ${task.id} stays open.` : ''}${pairHint} ${handOverText(group)}`,
      secrets,
    ),
  });
  if (task)
    await recordRejection(
      deps,
      keeper,
      task.id,
      { at: deps.clock.now().toISOString(), version: handSet.version, reason },
      alerts,
    );
  return {
    kind: 'reverted',
    restoredFrom: lastGood.version,
    version: written.version,
    reason,
    ...(task ? { runId: task.id } : {}),
  };
}

async function recordRejection(
  deps: EngineDeps,
  keeper: LeaseKeeper,
  runId: string,
  rejection: { at: string; version: string; reason: string },
  alerts: RunRecord['alerts'],
): Promise<void> {
  try {
    const row = await deps.journal.get(runId);
    if (!row) return;
    const writer = new RunWriter(deps.journal, deps.clock, row, keeper);
    await writer.save((d) => {
      const task = taskOf(d);
      task.rejections = [...(task.rejections ?? []), rejection];
      d.task = task;
      d.alerts.push(...alerts);
      // The version written back holds the value this task is about, so the task stands for it too:
      // reports and the sweep take a run's outcome as current only if it ended after the version's creation.
      d.finishedAt = rejection.at;
    });
  } catch (error) {
    deps.log.warn('could not record the rejected value on the task', { runId, ...describeError(error) });
  }
}
