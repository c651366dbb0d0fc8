/**
 * The second half of a manual rotation, once a human's value passed the provider's check: under the
 * group's lease, the group's open task run (or a new run) goes issued → validated → promoted (every
 * secret of the group, `CredentialId` `gen-N`, fresh expiry), the task is closed and the hand-over
 * recorded on the run. That is all a trigger does: propagation (restarts and health checks can take
 * minutes), the revoke step of a compromise and the run's end (`finishHandOver`, which tells the operator
 * what to do with the old key) are the worker's, queued once the lease is let go (`continueHandOver`) —
 * DESIGN.md's triggers never rotate inline, and Event Grid and HTTP callers do not wait for restarts.
 * Phases are journaled as the engine journals them; the value stays in memory.
 */

import type { EngineDeps } from '../engine/deps.js';
import { RunFlow } from '../engine/flow.js';
import { createRunIdentity, NO_VERSION } from '../engine/identity.js';
import type { LeaseKeeper } from '../engine/lease-keeper.js';
import { createOrGet, enterPhase, newRunRecord, RunWriter } from '../engine/records.js';
import { withRetries } from '../engine/retry.js';
import { buildRotationTags, checkTagBudget, keyHint, mergeTags } from '../engine/tags.js';
import { describeError, isRotationError, RotationError } from '../errors.js';
import { readTag, TAGS } from '../kinds.js';
import type {
  CredentialGroup,
  Logger,
  ManagedSecret,
  RunQueue,
  RunRecord,
  RunRequest,
  SecretVersion,
  Trigger,
} from '../ports.js';
import type { HumanCredential } from './credential.js';
import { closeSuperseded, revokeWording } from './finish.js';
import type { GroupRuns } from './lookup.js';
import { isOpenTask } from './task.js';

export interface HandOver {
  via: 'submission' | 'key-vault';
  /** Recorded on runs this hand-over starts (an open task keeps the trigger that opened it). */
  trigger: Trigger;
  requestedAt: string;
  caller?: string;
  /** `key-vault`: the version set by hand. */
  version?: string;
}

export interface PromotionInput {
  group: CredentialGroup;
  /** The secret the value was handed over for. */
  named: ManagedSecret;
  human: HumanCredential;
  /** What each secret served before the hand-over (what consumers run on), by secret name. */
  previous: Map<string, SecretVersion | undefined>;
  /** Content type of the new versions (default: the previous version's). */
  contentType?: string;
  /** Hand-set versions promoted where they stand (tags and expiry updated, no new version), by secret name. */
  inPlace?: Map<string, SecretVersion>;
  handOver: HandOver;
  /** The group's runs, read under the lease. */
  runs: GroupRuns;
}

export interface PromotionResult {
  run: RunRecord;
  /** What to do with the previous key in the provider's dashboard (normal rotations). */
  revokeOld?: string;
}

/** Runs a failed or skipped row may be taken over by a hand-over. */
function reusable(run: RunRecord): boolean {
  return isOpenTask(run) || run.status === 'queued' || run.status === 'skipped' || run.status === 'failed';
}

async function runRow(deps: EngineDeps, input: PromotionInput): Promise<{ run: RunRecord; etag: string }> {
  for (const open of input.runs.open) {
    const row = await deps.journal.get(open.id);
    if (row && isOpenTask(row.run)) return row;
  }
  const { group, handOver } = input;
  const primary = group.secrets[0]!;
  const triggerVersion = input.previous.get(primary.name)?.version.toLowerCase() ?? NO_VERSION;
  const request: RunRequest = {
    vault: group.vault,
    secret: input.named.name,
    trigger: handOver.trigger,
    requestedAt: handOver.requestedAt,
  };
  const now = deps.clock.now();
  const fresh = (id: string) => newRunRecord({ id, group, triggerVersion, request, now });
  const row = await createOrGet(
    deps.journal,
    fresh(createRunIdentity(group.vault, group.id, triggerVersion)),
  );
  if (row.created || reusable(row.run)) return row;
  // The run of this version already finished (e.g. a rollback made it current again): a run of its own.
  const other = `${handOver.via}:${triggerVersion}:${handOver.requestedAt}`;
  const alt = await createOrGet(deps.journal, fresh(createRunIdentity(group.vault, group.id, other)));
  if (alt.created || reusable(alt.run)) return alt;
  throw new RotationError('RunInProgress', `run ${alt.run.id} of group ${group.id} is ${alt.run.status}`, {
    transient: true,
    details: [{ path: 'runId', message: alt.run.id }],
  });
}

/** Journals issued and validated (the provider accepted the value before this was called). */
async function start(flow: RunFlow, input: PromotionInput): Promise<void> {
  const { human, previous, handOver } = input;
  const primary = previous.get(flow.primary.name);
  const previousCredentialId = primary ? readTag(primary.tags, TAGS.credentialId) : undefined;
  const wasTask = isOpenTask(flow.run);
  flow.attempting = 'issued';
  await flow.writer.save((d) => {
    if (!wasTask) {
      if (d.status !== 'queued') d.attempt += 1;
      d.trigger = { ...handOver.trigger };
    }
    d.status = 'running';
    delete d.error;
    delete d.finishedAt;
    // The human did what the open task asked; a compromise's revoke step words what is left.
    d.pendingHuman = [];
    if (d.phase === 'queued') enterPhase(d, 'claimed', flow.now());
    d.previousVersions = {};
    for (const [name, version] of previous) if (version) d.previousVersions[name] = version.version;
    if (previousCredentialId) d.previousCredentialId = previousCredentialId;
    else delete d.previousCredentialId;
    if (primary) d.previousKeyHint = keyHint(primary.value);
    enterPhase(d, 'issued', flow.now());
    d.credentialId = human.credential.credentialId;
    d.keyHint = keyHint(human.credential.value);
  });
  flow.attempting = 'validated';
  await flow.writer.save((d) => enterPhase(d, 'validated', flow.now()));
}

/** Writes the value to every secret of the group (or tags a hand-set version where it stands). */
async function writeVersions(flow: RunFlow, input: PromotionInput): Promise<void> {
  flow.attempting = 'promoted';
  const { group, run, deps } = flow;
  const credentialId = input.human.credential.credentialId;
  const expiresOn = new Date(flow.now().getTime() + group.validityDays * 86_400_000);
  const rotationTags = buildRotationTags({
    runId: run.id,
    provider: group.provider,
    credentialId,
    validityDays: group.validityDays,
  });
  for (const secret of group.secrets) {
    checkTagBudget(secret.name, (input.inPlace?.get(secret.name) ?? input.previous.get(secret.name))?.tags);
  }
  const retry = (what: string) => ({
    attempts: flow.timing.promoteAttempts,
    backoff: flow.timing.promoteBackoff,
    clock: deps.clock,
    log: deps.log,
    what,
    beforeRetry: () => flow.writer.confirmHeld(), // a retry comes seconds later: confirm again
  });
  const newVersions: Record<string, string> = {};
  await flow.writer.confirmHeld(); // writing Key Vault: only on a fresh confirmation of the group's lease
  for (const secret of group.secrets) {
    const inPlace = input.inPlace?.get(secret.name);
    const before = input.previous.get(secret.name);
    const written = inPlace
      ? await withRetries(
          () =>
            deps.store.updateVersion(group.vault, secret.name, inPlace.version, {
              tags: mergeTags(inPlace.tags, rotationTags),
              expiresOn,
            }),
          retry(`tagging ${secret.name}`),
        )
      : await withRetries(
          () => {
            const contentType = input.contentType ?? before?.contentType;
            return deps.store.setSecret(group.vault, secret.name, {
              value: input.human.values.get(secret.name)!,
              tags: mergeTags(before?.tags, rotationTags),
              expiresOn,
              ...(contentType === undefined ? {} : { contentType }),
            });
          },
          retry(`writing ${secret.name}`),
        );
    newVersions[secret.name] = written.version;
    deps.log.info('secret promoted', {
      runId: run.id,
      secret: secret.name,
      version: written.version,
      inPlace: inPlace !== undefined,
    });
  }
  const { handOver } = input;
  const revokeOld = flow.run.compromised ? undefined : await revokeWording(flow);
  await flow.writer.save((d) => {
    enterPhase(d, 'promoted', flow.now());
    d.newVersions = newVersions;
    d.handOver = {
      via: handOver.via,
      ...(handOver.caller ? { caller: handOver.caller } : {}),
      ...(handOver.version ? { version: handOver.version } : {}),
      ...(revokeOld ? { revokeOld } : {}),
    };
    if (d.task) {
      d.task.closedAt = flow.now().toISOString();
      d.task.closedBy = {
        via: handOver.via,
        ...(handOver.caller ? { caller: handOver.caller } : {}),
        ...(handOver.version ? { version: handOver.version } : {}),
      };
    }
  });
}

/**
 * Promotes a value a human handed over (already accepted by the provider) under the lease `keeper`
 * holds; the run is left `promoted` for the worker (`continueHandOver`, once the lease is let go). A
 * failure is journaled on the run and alerted (as the engine does), then thrown as a `RotationError`
 * naming the run.
 */
export async function promoteHandOver(
  deps: EngineDeps,
  keeper: LeaseKeeper,
  input: PromotionInput,
): Promise<PromotionResult> {
  const row = await runRow(deps, input);
  const writer = new RunWriter(deps.journal, deps.clock, row, keeper);
  const request: RunRequest = {
    vault: input.group.vault,
    secret: input.named.name,
    trigger: input.handOver.trigger,
    requestedAt: input.handOver.requestedAt,
  };
  const flow = new RunFlow(deps, input.group, request, writer);
  flow.adoptCredential(input.human.credential);
  for (const value of input.human.values.values()) flow.secretValues.add(value);
  for (const version of input.previous.values()) if (version) flow.secretValues.add(version.value);
  try {
    await start(flow, input);
    await writeVersions(flow, input);
    await closeSuperseded(flow, input);
    const run = writer.snapshot();
    return { run, ...(run.handOver?.revokeOld ? { revokeOld: run.handOver.revokeOld } : {}) };
  } catch (error) {
    const failed = await flow.fail(error);
    const cause = isRotationError(error) ? error : undefined;
    const status = describeError(error).status;
    throw new RotationError(
      cause?.code ?? (status === undefined ? 'InternalError' : 'AzureUnavailable'),
      `run ${failed.id} failed at ${failed.error?.phase ?? flow.attempting}: ${failed.error?.message ?? 'unknown error'}`,
      {
        transient: cause?.transient ?? status !== undefined,
        ...(cause?.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: cause.retryAfterSeconds }),
        details: [{ path: 'runId', message: failed.id }],
      },
    );
  }
}

/**
 * Queues the rest of a promoted hand-over run for the worker: propagation, the revoke step of a
 * compromise, the run's end. Called once the trigger let the group's lease go — a worker that found it
 * still held would take the request for a duplicate of a running run. The request names the run, whose id
 * is not always the one its trigger version names (`runRow`: a run of its own when that one had finished).
 * A request that cannot be queued is not an error for the caller (the credential is promoted): the run
 * stays `running` and the daily sweep resumes it once it is stale.
 */
export async function continueHandOver(
  deps: { queue: RunQueue; log: Logger },
  run: RunRecord,
  requestedAt: string,
): Promise<boolean> {
  const request: RunRequest = {
    vault: run.vault,
    secret: run.secrets[0] ?? run.group,
    // Pinned to the run's version too: delivered again after the run ended, the request reports that
    // run instead of starting a rotation of the version the hand-over promoted.
    triggerVersion: run.triggerVersion,
    runId: run.id,
    trigger: { ...run.trigger },
    requestedAt,
  };
  try {
    await deps.queue.enqueue(request);
    return true;
  } catch (error) {
    deps.log.warn('could not queue the propagation of a promoted hand-over; the daily sweep resumes it', {
      runId: run.id,
      ...describeError(error),
    });
    return false;
  }
}
