/** Phases claimed → issued → validated. Nothing here writes to Key Vault. */
import { joinOpenTask } from '../manual/one-task.js';
import { newTask, taskText } from '../manual/task.js';
import type { IssuedCredential, RunRecord, SecretVersion } from '../ports.js';
import { behindCalls } from './behind-calls.js';
import { manualCompromiseTasks } from './compromise.js';
import { callIssue, ensureCredential, issuedChange, recordIssued } from './credential.js';
import type { RunFlow } from './flow.js';
import { enterPhase, notePrevious } from './records.js';
import { checkTagBudget } from './tags.js';
import { validateWithRetries } from './validate.js';

/** Records what Key Vault serves now (version ids, credential id, hint) and marks the run running. */
export async function claim(flow: RunFlow): Promise<void> {
  flow.attempting = 'claimed';
  const currents = await flow.loadCurrents();
  await flow.writer.save((d) => {
    d.status = 'running';
    enterPhase(d, 'claimed', flow.now());
    notePrevious(d, currents, flow.primary.name);
  });
}

/**
 * Journals the claim of a run that has not started, while the group is read and the start checks run
 * (`npm run bench`: one journal round trip off the rotation's critical path). It records no reads: what
 * Key Vault serves before the run is noted by the next write (`notePrevious`): until the run promotes,
 * that is still what Key Vault serves. A run the checks skip has its claim taken back by the skip's write;
 * a worker that dies meanwhile leaves the run at `claimed`, which resumes through the same checks.
 */
export async function claimWhileChecking(flow: RunFlow): Promise<void> {
  flow.attempting = 'claimed';
  flow.claimedAhead = true;
  await flow.writer.save((d) => {
    d.status = 'running';
    enterPhase(d, 'claimed', flow.now());
  });
}

/**
 * How `issue` left the run: `ended` (a manual provider: a human mints), `journaled` (the run's phase is
 * journaled; the driver goes on from it), or `validated` (`issued` is journaled and the credential passed
 * validation, but `validated` is not journaled yet: the driver promotes while it is, `promoteWhileJournaling`).
 */
export type IssueOutcome = 'ended' | 'journaled' | 'validated';

/**
 * Checks the tag budget, then asks the provider for a new credential. A manual provider ends the run
 * `manual-action-required`; otherwise the credential is `issued` (journaled) and validated.
 */
export async function issue(flow: RunFlow): Promise<IssueOutcome> {
  flow.attempting = 'issued';
  const { provider } = flow.provider();
  const currents = await flow.loadCurrents();
  for (const secret of flow.group.secrets) checkTagBudget(secret.name, currents.get(secret.name)?.tags);
  const result = await callIssue(flow);
  if (result.kind === 'manual') {
    await endManual(flow, result.instructions, result.dashboardUrl);
    return 'ended';
  }
  if (provider.issuing === 'in-process') {
    await issueAndValidateInProcess(flow, result.credential, currents);
    return 'journaled';
  }
  // Validation only reads (it acts on nothing outside), so it runs while `issued` is being journaled: a
  // crash meanwhile leaves the journal at `claimed`, exactly as a crash right after the provider issued
  // does, and resumes the same way. Promotion starts only once `issued` is in the journal. The validation
  // call leaves first: the journal's request is built while it is in flight.
  flow.adoptCredential(result.credential);
  const checked = checkCredential(flow);
  const recorded = behindCalls(() => flow.writer.save(issuedChange(flow, result.credential, currents)));
  const [record, check] = await Promise.allSettled([recorded, checked]);
  if (record.status === 'rejected') throw record.reason; // a lost lease or journal first: nothing to report
  flow.attempting = 'validated';
  if (check.status === 'rejected') throw check.reason;
  return 'validated';
}

/**
 * A credential minted in the process (`issuing: 'in-process'`): validated first, then `issued` and
 * `validated` journaled in one write. Nothing outside changed before that write, so a crash meanwhile
 * resumes at `claimed` and mints again. A credential that fails validation is journaled `issued` first,
 * as any other, so the failure reads the same.
 */
async function issueAndValidateInProcess(
  flow: RunFlow,
  credential: IssuedCredential,
  currents: ReadonlyMap<string, SecretVersion | undefined>,
): Promise<void> {
  flow.adoptCredential(credential);
  flow.attempting = 'validated';
  try {
    await checkCredential(flow);
  } catch (error) {
    flow.attempting = 'issued';
    await recordIssued(flow, credential, currents);
    flow.attempting = 'validated';
    throw error;
  }
  flow.attempting = 'issued'; // the first phase the write records: a failed write reads "failed at issued"
  const issued = issuedChange(flow, credential, currents);
  await flow.writer.save((d) => {
    issued(d);
    enterPhase(d, 'validated', flow.now());
  });
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
    const currents = await flow.loadCurrents();
    await flow.writer.save((d: RunRecord) => {
      notePrevious(d, currents, flow.primary.name);
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
  const currents = await flow.loadCurrents();
  await flow.writer.save((d: RunRecord) => {
    notePrevious(d, currents, flow.primary.name);
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
