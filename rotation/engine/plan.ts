/**
 * Dry run: what a rotation would do now — issue, validate, write which versions with which tags,
 * propagate to whom, revoke what — and what would stop it. Only read operations (catalog, current
 * versions, journal); no lease, no journal row, no queue message.
 */
import { describeError } from '../errors.js';
import { readTag, TAGS } from '../kinds.js';
import type { RunRecord, RunRequest } from '../ports.js';
import type { EngineDeps } from './deps.js';
import { NO_VERSION } from './identity.js';
import { checkValidity, spacingReason, startDecision } from './policy.js';
import { bindProvider } from './provider.js';
import { whereOf } from './records.js';
import { buildRotationTags, checkTagBudget, keyHint, mergeTags } from './tags.js';
import { type RunTarget, resolveTarget } from './target.js';

export interface PlannedSecret {
  name: string;
  part?: string;
  currentVersion?: string;
  currentCredentialId?: string;
  currentKeyHint?: string;
  contentType?: string;
  /** Tags the new version would carry (`CredentialId` is only known after issuing). */
  tags: Record<string, string>;
  expiresOn: string;
}

export interface RotationPlan {
  runId: string;
  vault: string;
  group: string;
  provider: string;
  mode: 'automatic' | 'manual' | 'not-implemented';
  compromised: boolean;
  triggerVersion: string;
  /** True when a real request would rotate now. */
  wouldRotate: boolean;
  /** Why it would not (kill switch, stale, spacing, configuration, tag budget, existing run). */
  blockers: { code: string; message: string }[];
  existingRun?: { id: string; status: string; phase: string; attempt: number };
  issue: string;
  validate: string;
  secrets: PlannedSecret[];
  propagate: string[];
  revoke: { will: boolean; credentialId?: string; how: 'provider' | 'human' | 'none' };
}

/** Plans the rotation a request would start. Throws only when the secret is unknown or unmanaged. */
export async function planRotation(deps: EngineDeps, request: RunRequest): Promise<RotationPlan> {
  return planFor(deps, request, await resolveTarget(deps, request));
}

export async function planFor(
  deps: EngineDeps,
  request: RunRequest,
  target: RunTarget,
): Promise<RotationPlan> {
  const { group } = target;
  const now = deps.clock.now();
  const blockers: RotationPlan['blockers'] = [];
  const block = (error: unknown) => blockers.push(describeError(error));
  const compromised = request.compromised === true;
  if (deps.settings.paused) blockers.push({ code: 'RotationPaused', message: 'ROTATION_PAUSED is set' });

  const existing = await deps.journal.get(target.runId, whereOf(target.group));
  if (existing) {
    const decision = startDecision(existing.run, request, now, deps.settings);
    if (decision.action === 'report') blockers.push({ code: 'RunExists', message: decision.reason });
  }

  const provider = deps.providers[group.provider];
  const mode: RotationPlan['mode'] = provider?.mode ?? 'not-implemented';
  try {
    bindProvider(deps, group);
  } catch (error) {
    block(error);
  }
  try {
    checkValidity(group);
  } catch (error) {
    block(error);
  }

  const expiresOn = new Date(now.getTime() + group.validityDays * 86_400_000).toISOString();
  const rotationTags = buildRotationTags({
    runId: target.runId,
    provider: group.provider,
    credentialId: '(issued by the run)',
    validityDays: group.validityDays,
  });
  const secrets: PlannedSecret[] = [];
  for (const secret of group.secrets) {
    const current = await deps.store.getCurrent(group.vault, secret.name);
    try {
      checkTagBudget(secret.name, current?.tags);
    } catch (error) {
      block(error);
    }
    const credentialId = current ? readTag(current.tags, TAGS.credentialId) : undefined;
    secrets.push({
      name: secret.name,
      ...(secret.part ? { part: secret.part } : {}),
      ...(current ? { currentVersion: current.version, currentKeyHint: keyHint(current.value) } : {}),
      ...(credentialId ? { currentCredentialId: credentialId } : {}),
      ...(current?.contentType ? { contentType: current.contentType } : {}),
      tags: mergeTags(current?.tags, rotationTags),
      expiresOn,
    });
    if (secret.name === target.secret.name && !existing) {
      const currentVersion = current?.version.toLowerCase() ?? NO_VERSION;
      if (currentVersion !== target.triggerVersion) {
        blockers.push({
          code: 'StaleTrigger',
          message: `version ${target.triggerVersion} is no longer current (now ${currentVersion})`,
        });
      }
    }
  }

  if (!compromised) {
    const others: RunRecord[] = [];
    for await (const run of deps.journal.list({ vault: group.vault, group: group.id })) {
      if (run.id !== target.runId) others.push(run);
    }
    const reason = spacingReason(others, group, now);
    if (reason) blockers.push({ code: 'SpacingNotElapsed', message: reason });
  }

  const primary = secrets[0];
  const willRevoke = compromised || provider?.revokePolicy === 'always';
  return {
    runId: target.runId,
    vault: group.vault,
    group: group.id,
    provider: group.provider,
    mode,
    compromised,
    triggerVersion: target.triggerVersion,
    wouldRotate: blockers.length === 0,
    blockers,
    ...(existing
      ? {
          existingRun: {
            id: existing.run.id,
            status: existing.run.status,
            phase: existing.run.phase,
            attempt: existing.run.attempt,
          },
        }
      : {}),
    issue:
      mode === 'manual'
        ? `ask a human to mint a new ${group.provider} credential (the run ends manual-action-required)`
        : `issue a new ${group.provider} credential without touching ${primary?.currentCredentialId ?? 'the current one'}`,
    validate: `check it against ${group.provider}, retrying for up to ${deps.settings.validationTimeoutSeconds}s`,
    secrets,
    propagate: [...group.consumers],
    revoke: {
      will: willRevoke,
      ...(willRevoke && primary?.currentCredentialId ? { credentialId: primary.currentCredentialId } : {}),
      how: !willRevoke ? 'none' : provider?.revoke ? 'provider' : 'human',
    },
  };
}
