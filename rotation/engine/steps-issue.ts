/** Phases claimed → issued → validated. Nothing here writes to Key Vault. */
import { readTag, TAGS } from '../kinds.js';
import { joinOpenTask } from '../manual/one-task.js';
import { newTask, taskText } from '../manual/task.js';
import type { RunRecord } from '../ports.js';
import { manualCompromiseTasks } from './compromise.js';
import { callIssue, ensureCredential, recordIssued } from './credential.js';
import type { RunFlow } from './flow.js';
import { enterPhase } from './records.js';
import { checkTagBudget, keyHint } from './tags.js';
import { validateWithRetries } from './validate.js';

/** Records what Key Vault serves now (version ids, credential id, hint) and marks the run running. */
export async function claim(flow: RunFlow): Promise<void> {
  flow.attempting = 'claimed';
  const currents = await flow.loadCurrents();
  const previousVersions: Record<string, string> = {};
  for (const [name, current] of currents) if (current) previousVersions[name] = current.version;
  const primary = currents.get(flow.primary.name);
  const previousCredentialId = primary ? readTag(primary.tags, TAGS.credentialId) : undefined;
  await flow.writer.save((d) => {
    d.status = 'running';
    enterPhase(d, 'claimed', flow.now());
    d.previousVersions = previousVersions;
    if (previousCredentialId) d.previousCredentialId = previousCredentialId;
    if (primary) d.previousKeyHint = keyHint(primary.value);
  });
}

/**
 * Checks the tag budget, then asks the provider for a new credential. A manual provider ends the run
 * `manual-action-required` (returns false); otherwise the run is `issued` (returns true).
 */
export async function issue(flow: RunFlow): Promise<boolean> {
  flow.attempting = 'issued';
  flow.provider();
  const currents = await flow.loadCurrents();
  for (const secret of flow.group.secrets) checkTagBudget(secret.name, currents.get(secret.name)?.tags);
  const result = await callIssue(flow);
  if (result.kind === 'manual') {
    await endManual(flow, result.instructions, result.dashboardUrl);
    return false;
  }
  // Validation only reads (it acts on nothing outside), so it runs while `issued` is being journaled: a
  // crash meanwhile leaves the journal at `claimed`, exactly as a crash right after the provider issued
  // does, and resumes the same way. The run records `validated` only once `issued` is in the journal.
  const recorded = recordIssued(flow, result.credential);
  const checked = checkCredential(flow);
  const [record, check] = await Promise.allSettled([recorded, checked]);
  if (record.status === 'rejected') throw record.reason; // a lost lease or journal first: nothing to report
  flow.attempting = 'validated';
  if (check.status === 'rejected') throw check.reason;
  await recordValidated(flow);
  return true;
}

async function endManual(
  flow: RunFlow,
  instructions: string,
  dashboardUrl: string | undefined,
): Promise<void> {
  const todo = dashboardUrl ? `${instructions} (${dashboardUrl})` : instructions;
  if (await joinOpenTask(flow)) return;
  // The human's task (rotation/manual): deadline = expiry of what Key Vault serves now.
  const deadline = (await flow.loadCurrents()).get(flow.primary.name)?.expiresOn;
  const task = newTask({ now: flow.now(), deadline, urgent: flow.run.compromised, dashboardUrl });
  if (flow.run.compromised) {
    // Compromise of a manual provider: urgent tasks (mint, then revoke in the dashboard), critical alert.
    const urgent = await manualCompromiseTasks(flow, todo);
    await flow.writer.save((d: RunRecord) => {
      d.status = 'manual-action-required';
      d.pendingHuman.push(...urgent.pendingHuman);
      d.alerts.push(...urgent.alerts);
      d.finishedAt = flow.now().toISOString();
      d.task = task;
    });
    return;
  }
  const alerts = await flow.alert(
    'manual-action-required',
    'warning',
    `Mint a new credential for ${flow.group.id}`,
    `${taskText({ group: flow.group, todo, deadline, now: flow.now() })} Run ${flow.run.id}.`,
  );
  await flow.writer.save((d: RunRecord) => {
    d.status = 'manual-action-required';
    d.pendingHuman.push(flow.safe(todo));
    d.alerts.push(...alerts);
    d.finishedAt = flow.now().toISOString();
    d.task = task;
  });
}

/** Validates a run resumed at `issued` (the credential recovered first), then records `validated`. */
export async function validate(flow: RunFlow): Promise<void> {
  flow.attempting = 'validated';
  await checkCredential(flow);
  await recordValidated(flow);
}

/**
 * Validates with retries until the timeout; journals nothing. A credential read back from Key Vault was
 * validated before it was written.
 */
async function checkCredential(flow: RunFlow): Promise<void> {
  const source = await ensureCredential(flow);
  if (source === 'written') return;
  const { provider, ctx } = flow.provider();
  const { attempts } = await validateWithRetries(provider, ctx, flow.credential!, {
    timeoutSeconds: flow.deps.settings.validationTimeoutSeconds,
    backoff: flow.timing.validation,
    clock: flow.deps.clock,
    log: flow.deps.log,
  });
  flow.deps.log.info('credential validated', { runId: flow.run.id, attempts });
}

/** Promotion, next, acts on the outside world: this write renews the lease alongside if it would be stale. */
async function recordValidated(flow: RunFlow): Promise<void> {
  await flow.writer.save((d) => enterPhase(d, 'validated', flow.now()));
}
