/**
 * `POST /api/secrets/{name}/versions`: a human hands over a credential they minted in the provider's
 * dashboard. Checked with the provider before anything is written — rejected → `CredentialRejected`
 * (422) and nothing changes; provider unreachable → `ProviderUnavailable` (503 + Retry-After: an outage
 * is not proof a key is bad) — then promoted to every secret of the group as `gen-N` and the group's open
 * task closed (`promote.ts`); the worker propagates it to consumers and ends the run. A multi-part
 * credential (Razorpay's key id + key secret) is handed over whole: the named secret's value plus
 * `with: { <partner secret>: value }`; a part not given keeps what Key Vault serves for it, and the
 * provider checks the pair.
 *
 * The value is held in memory only: no log line, error, response, journal row or alert carries it.
 */

import { redact } from '../engine/alerts.js';
import type { EngineDeps } from '../engine/deps.js';
import { timingOf } from '../engine/deps.js';
import { acquireGroupLease } from '../engine/lease-keeper.js';
import { bindProvider, requireProvider } from '../engine/provider.js';
import { checkTagBudget } from '../engine/tags.js';
import { describeError, isRotationError, RotationError } from '../errors.js';
import type { CredentialProvider, IssuedCredential, ProviderContext, SecretVersion } from '../ports.js';
import { groupValues } from './credential.js';
import { nextGenerationOf } from './history.js';
import { groupRuns, managedSecret, runInProgressError } from './lookup.js';
import { continueHandOver, type PromotionResult, promoteHandOver } from './promote.js';

export interface SubmissionInput {
  vault: string;
  /** The secret the value is for (route `{name}`). */
  secret: string;
  value: string;
  contentType?: string;
  /** Values for partner secrets of the same credential, by secret name. */
  with?: Record<string, string>;
  /** Who submitted (recorded on the run). */
  caller?: string;
}

/** Default `Retry-After` when the provider is unreachable and says nothing. */
export const PROVIDER_RETRY_AFTER_SECONDS = 30;

/**
 * Asks the provider once: `rejected` → `CredentialRejected`, `unavailable` (or a thrown transient
 * error) → `ProviderUnavailable` with `retryAfterSeconds`. Reasons are redacted of `values`.
 */
export async function checkWithProvider(
  provider: CredentialProvider,
  ctx: ProviderContext<unknown>,
  credential: IssuedCredential,
  values: Iterable<string>,
): Promise<void> {
  const secrets = [...values];
  let result: Awaited<ReturnType<CredentialProvider['validate']>>;
  try {
    result = await provider.validate(ctx, credential);
  } catch (error) {
    if (isRotationError(error) && !error.transient) throw error;
    const { code, message } = describeError(error);
    throw new RotationError(
      'ProviderUnavailable',
      `could not reach ${provider.kind}: ${code}: ${redact(message, secrets)}`,
      {
        transient: true,
        retryAfterSeconds: PROVIDER_RETRY_AFTER_SECONDS,
      },
    );
  }
  if (result.ok) return;
  const reason = redact(result.reason, secrets);
  if (result.outcome === 'rejected') {
    throw new RotationError('CredentialRejected', `${provider.kind} rejected the credential: ${reason}`);
  }
  throw new RotationError(
    'ProviderUnavailable',
    `${provider.kind} could not be asked whether the credential works: ${reason}. Nothing was written; submit again later`,
    { transient: true, retryAfterSeconds: result.retryAfterSeconds ?? PROVIDER_RETRY_AFTER_SECONDS },
  );
}

function givenValues(input: SubmissionInput, named: string, members: Set<string>): Map<string, string> {
  const given = new Map<string, string>([[named.toLowerCase(), input.value]]);
  const problems: { path: string; message: string }[] = [];
  for (const [name, value] of Object.entries(input.with ?? {})) {
    const key = name.toLowerCase();
    if (key === named.toLowerCase())
      problems.push({ path: `$.with["${name}"]`, message: 'is the secret named in the route' });
    else if (!members.has(key))
      problems.push({ path: `$.with["${name}"]`, message: 'is not a secret of this credential group' });
    else given.set(key, value);
  }
  if (problems.length > 0) {
    throw new RotationError('BadRequest', `"with" names secrets that cannot take a value here`, {
      details: problems,
    });
  }
  return given;
}

export async function submitSecretVersion(
  deps: EngineDeps,
  input: SubmissionInput,
): Promise<PromotionResult> {
  if (deps.settings.paused) {
    throw new RotationError(
      'RotationPaused',
      'ROTATION_PAUSED is set: submissions are paused too; nothing was written',
    );
  }
  const { secret: named, group } = await managedSecret(deps.catalog, input.vault, input.secret);
  const provider = requireProvider(deps, group);
  if (provider.mode !== 'manual') {
    throw new RotationError(
      'BadRequest',
      `${group.provider} issues its own credentials: rotate ${named.name} with POST /api/secrets/${named.name}/rotate`,
    );
  }
  const given = givenValues(input, named.name, new Set(group.secrets.map((s) => s.name.toLowerCase())));
  const { ctx } = bindProvider(deps, group);

  const keeper = await acquireGroupLease(deps, group.vault, group.id, timingOf(deps));
  let promoted: PromotionResult;
  try {
    const runs = await groupRuns(deps.journal, group);
    if (runs.busy) throw runInProgressError(runs.busy);
    const currents = new Map<string, SecretVersion | undefined>();
    for (const secret of group.secrets) {
      const current = await deps.store.getCurrent(group.vault, secret.name);
      checkTagBudget(secret.name, current?.tags);
      currents.set(secret.name, current);
    }
    const human = groupValues(
      group,
      named,
      given,
      (secret) => currents.get(secret.name)?.value,
      await nextGenerationOf(deps, group),
    );
    if (group.secrets.every((s) => currents.get(s.name)?.value === human.values.get(s.name))) {
      throw new RotationError(
        'BadRequest',
        `this is the credential Key Vault serves for ${named.name} now: mint a new one in the dashboard`,
        { details: [{ path: '$.value', message: 'equals the current value' }] },
      );
    }
    await checkWithProvider(provider, ctx, human.credential, human.values.values());
    deps.log.info('submitted credential accepted by the provider', {
      vault: group.vault,
      group: group.id,
      secret: named.name,
      credentialId: human.credential.credentialId,
      caller: input.caller,
    });
    promoted = await promoteHandOver(deps, keeper, {
      group,
      named,
      human,
      previous: currents,
      ...(input.contentType === undefined ? {} : { contentType: input.contentType }),
      runs,
      handOver: {
        via: 'submission',
        trigger: { kind: 'submission', ...(input.caller ? { caller: input.caller } : {}) },
        requestedAt: deps.clock.now().toISOString(),
        ...(input.caller ? { caller: input.caller } : {}),
      },
    });
  } finally {
    await keeper.stop();
  }
  // The worker propagates and ends the run (`continueHandOver`): the caller may wait for it.
  await continueHandOver(deps, promoted.run, deps.clock.now().toISOString());
  return promoted;
}
