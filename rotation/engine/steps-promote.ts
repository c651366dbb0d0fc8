/** Phases promoted → propagated → revoked → done. */
import { RotationError } from '../errors.js';
import type { RunStatus } from '../kinds.js';
import type { ConsumerOutcome, RunRecord } from '../ports.js';
import { behindCalls } from './behind-calls.js';
import { disableLeakedForFlow } from './compromise.js';
import { ensureCredential, valueFor } from './credential.js';
import type { RunFlow } from './flow.js';
import { enterPhase, type RunChange } from './records.js';
import { withRetries } from './retry.js';
import { buildRotationTags, checkTagBudget, keyHint, mergeTags, rotationIdOf } from './tags.js';

/**
 * Writes the credential as a new version of every secret of the group. A secret whose current version
 * already carries this run's `RotationId` was written before (a resumed run, or a lost journal write) and
 * is not written again. Returns what `promoted` journals (for `save` or `propagateWhileJournaling`), or
 * undefined when the credential had to be issued again (back to `issued`).
 */
export async function promote(flow: RunFlow): Promise<RunChange | undefined> {
  flow.attempting = 'promoted';
  const source = await ensureCredential(flow);
  if (source === 'reissued') return undefined;
  const credential = flow.credential!;
  const { group, run } = flow;
  const expiresOn = new Date(flow.now().getTime() + group.validityDays * 86_400_000);
  const rotationTags = buildRotationTags({
    runId: run.id,
    provider: group.provider,
    credentialId: credential.credentialId,
    validityDays: group.validityDays,
    ...(credential.providerAddress ? { providerAddress: credential.providerAddress } : {}),
  });
  // The consumers' own Key Vault settings are read while the new versions are written.
  flow.deps.propagator.prepare?.(group);
  const newVersions: Record<string, string> = {};
  // What this attempt read before issuing (a resumed attempt reads afresh, so versions it wrote earlier
  // are recognised by their RotationId). Nothing else writes the group while the lease is held.
  const currents = await flow.loadCurrents();
  for (const secret of group.secrets) checkTagBudget(secret.name, currents.get(secret.name)?.tags);
  // The secrets are independent: write them in parallel, then report the first failure (if any) once
  // every write has settled, so no write is left running behind the failed run.
  const writes = await Promise.allSettled(
    group.secrets.map(async (secret) => {
      const current = currents.get(secret.name);
      if (current && rotationIdOf(current.tags) === run.id) {
        newVersions[secret.name] = current.version;
        return;
      }
      const written = await withRetries(
        () =>
          flow.deps.store.setSecret(group.vault, secret.name, {
            value: valueFor(credential, secret),
            tags: mergeTags(current?.tags, rotationTags),
            expiresOn,
            ...(current?.contentType === undefined ? {} : { contentType: current.contentType }),
          }),
        {
          attempts: flow.timing.promoteAttempts,
          backoff: flow.timing.promoteBackoff,
          clock: flow.deps.clock,
          log: flow.deps.log,
          what: `writing ${secret.name}`,
          // A retry comes after a backoff of a second or more: it writes only on a fresh confirmation.
          beforeRetry: () => flow.writer.confirmHeld(),
        },
      );
      newVersions[secret.name] = written.version;
      flow.deps.log.info('secret promoted', {
        runId: run.id,
        secret: secret.name,
        version: written.version,
      });
    }),
  );
  const failed = writes.find((w): w is PromiseRejectedResult => w.status === 'rejected');
  if (failed) throw failed.reason;
  const at = flow.now();
  return (d) => {
    enterPhase(d, 'promoted', at);
    d.newVersions = newVersions;
    d.credentialId = credential.credentialId;
    d.keyHint = keyHint(credential.value);
  };
}

/**
 * Writes Key Vault while `validated` is journaled, for a run whose credential has just passed validation
 * with `issued` already in the journal (`npm run bench`: one journal round trip off the rotation's
 * critical path). Promotion acts on the outside world, so it still waits for a fresh confirmation of the
 * lease; what it needs journaled first is `issued`, with what Key Vault served before the run (rollback,
 * compromise and revocation read it). Only a validated credential is ever written, so if the `validated`
 * write fails or the worker dies, the attempt that resumes the run at `issued` finds its versions by
 * `RotationId`, takes them as validated, journals `validated` and finishes the promotion, as after a crash
 * in the middle of promoting. The run is then attempting `promoted` (set by `promote` as it starts): a
 * failure reads "failed at promoted", never "nothing was promoted" while Key Vault may serve the new value.
 */
export async function promoteWhileJournaling(flow: RunFlow): Promise<RunChange | undefined> {
  await flow.writer.confirmHeld();
  const validatedAt = flow.now();
  // The Key Vault writes leave first: the journal's request is built while they are in flight.
  const promoting = promote(flow);
  const recorded = behindCalls(() => flow.writer.save((d) => enterPhase(d, 'validated', validatedAt)));
  const [record, promoted] = await Promise.allSettled([recorded, promoting]);
  if (record.status === 'rejected') throw record.reason; // a lost lease first: this worker must stop
  if (promoted.status === 'rejected') throw promoted.reason;
  return promoted.value;
}

/**
 * Journals `promoted` while the consumers are already told (`npm run bench`: one journal round trip off
 * the rotation's critical path). Safe because telling consumers is idempotent (a restart, a webhook naming
 * the versions) and acts only on what Key Vault already serves: if the write fails (journal down, lease
 * lost), the run stops once propagation has settled, and the attempt that resumes it at `validated`
 * finds its versions written (`RotationId`) and tells the consumers again, as after a crash between
 * the two steps. Promotion itself still waited for `validated` to be journaled.
 */
export async function propagateWhileJournaling(
  flow: RunFlow,
  promoted: RunChange,
  options: { last?: boolean } = {},
): Promise<void> {
  // Telling consumers acts on the outside world: only on a fresh confirmation of the lease.
  await flow.writer.confirmHeld();
  // The consumers are told first: the journal's request is built while their calls are in flight. When
  // propagation is the last step, only the final journal write follows: no lease confirmation is taken
  // for it.
  const told = flow.deps.propagator.propagate(flow.writer.preview(promoted), flow.group);
  const recorded = behindCalls(() =>
    flow.writer.save(promoted, { actsNext: !endsWithPropagation(flow, options) }),
  );
  const [record, outcomes] = await Promise.allSettled([recorded, told]);
  if (record.status === 'rejected') throw record.reason;
  flow.attempting = 'propagated';
  if (outcomes.status === 'rejected') throw outcomes.reason;
  await recordPropagation(flow, outcomes.value, options);
}

/**
 * Restarts / notifies consumers. Consumer failures do not fail the run; they alert. `last`: no step
 * follows (nothing to revoke), so the same journal write also ends the run (`done` and its status).
 */
export async function propagate(flow: RunFlow, options: { last?: boolean } = {}): Promise<void> {
  flow.attempting = 'propagated';
  const outcomes = await flow.deps.propagator.propagate(flow.writer.snapshot(), flow.group);
  await recordPropagation(flow, outcomes, options);
}

/**
 * `last` (a rotation with nothing to revoke): the run ends with the write that journals `propagated`, one
 * journal write fewer. Compromised runs always revoke, so `finish` and its alert are still theirs.
 */
function endsWithPropagation(flow: RunFlow, options: { last?: boolean }): boolean {
  return options.last === true && !flow.run.compromised;
}

/** Alerts on consumers that failed, and journals `propagated` (and `done` when nothing follows). */
async function recordPropagation(
  flow: RunFlow,
  outcomes: ConsumerOutcome[],
  options: { last?: boolean },
): Promise<void> {
  const failed = outcomes.filter((o) => o.status === 'failed');
  const alerts =
    failed.length === 0
      ? []
      : await flow.alert(
          'propagation-failed',
          'warning',
          `Consumers of ${flow.group.id} did not pick up the new credential`,
          `Run ${flow.run.id}: the new credential is in Key Vault, but ${failed
            .map((o) => `${o.name} (${o.detail ?? 'failed'})`)
            .join(', ')} failed. Repropagate with POST /api/runs/${flow.run.id}/propagate.`,
        );
  const last = endsWithPropagation(flow, options);
  await flow.writer.save((d) => {
    enterPhase(d, 'propagated', flow.now());
    d.consumers = outcomes;
    d.alerts.push(...alerts);
    if (last) {
      enterPhase(d, 'done', flow.now());
      d.status = finalStatus(d);
      d.finishedAt = flow.now().toISOString();
    }
  });
}

/** Whether this run revokes the previous credential: compromise, or a provider whose policy says always. */
export function revokes(flow: RunFlow): boolean {
  const provider = flow.deps.providers[flow.group.provider];
  return flow.run.compromised || provider?.revokePolicy === 'always';
}

/** Makes the previous credential worthless (or records what a human must do). */
export async function revoke(flow: RunFlow): Promise<void> {
  flow.attempting = 'revoked';
  const { provider, ctx } = flow.provider();
  const run = flow.run;
  const previousVersion = run.previousVersions[flow.primary.name];
  const revoked: string[] = [];
  const pendingHuman: string[] = [];
  let alerts: RunRecord['alerts'] = [];
  if (previousVersion === undefined) {
    flow.deps.log.info('nothing to revoke: the group had no credential before', { runId: run.id });
  } else if (run.previousCredentialId !== undefined && run.previousCredentialId === run.credentialId) {
    throw new RotationError(
      'InternalError',
      `refusing to revoke ${run.previousCredentialId}: it is the credential this run just promoted`,
    );
  } else if (!provider.revoke) {
    const what = run.previousCredentialId ?? `the credential of version ${previousVersion}`;
    pendingHuman.push(`revoke ${what} at ${flow.group.provider} by hand`);
    alerts = await flow.alert(
      'manual-action-required',
      'critical',
      `Revoke the previous credential of ${flow.group.id}`,
      `Run ${run.id} replaced the credential, but ${flow.group.provider} cannot revoke through an API: revoke ${what} by hand.`,
    );
  } else {
    const result = await provider.revoke(ctx, {
      credentialId: run.previousCredentialId,
      version: previousVersion,
    });
    revoked.push(...result.revoked);
    pendingHuman.push(...result.pendingHuman.map((p) => flow.safe(p)));
  }
  // Compromise: Key Vault versions that held the leaked value are disabled once nothing needs them.
  revoked.push(...(await disableLeakedForFlow(flow)));
  await flow.writer.save((d) => {
    enterPhase(d, 'revoked', flow.now());
    d.revoked.push(...revoked);
    d.pendingHuman.push(...pendingHuman);
    d.alerts.push(...alerts);
  });
}

export function finalStatus(run: Readonly<RunRecord>): RunStatus {
  if (run.pendingHuman.length > 0) return 'manual-action-required';
  if (run.consumers.some((c) => c.status === 'failed')) return 'propagated-with-errors';
  if (run.revoked.length > 0) return 'revoked';
  return 'done';
}

export async function finish(flow: RunFlow): Promise<void> {
  flow.attempting = 'done';
  const status = finalStatus(flow.run);
  const alerts = flow.run.compromised
    ? await flow.alert(
        'run-succeeded',
        'info',
        `Compromised credential of ${flow.group.id} replaced`,
        `Run ${flow.run.id}: new credential ${flow.run.credentialId ?? ''} (…${flow.run.keyHint ?? ''}) is live; ` +
          `revoked: ${flow.run.revoked.join(', ') || 'nothing'}; status ${status}.`,
      )
    : [];
  await flow.writer.save((d) => {
    enterPhase(d, 'done', flow.now());
    d.status = status;
    d.finishedAt = flow.now().toISOString();
    d.alerts.push(...alerts);
  });
}
