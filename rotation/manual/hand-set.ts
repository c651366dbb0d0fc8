/**
 * A value set in Key Vault by hand (`az keyvault secret set`, the portal) for a manual provider's secret:
 * Key Vault's `SecretNewVersionCreated` for a version the rotator did not write. Under the group's lease:
 *
 * - the provider accepts it → promoted where it stands: that version gets the rotator's tags (`gen-N`) and
 *   a fresh expiry by a properties update (no new version, so no new event), the other secrets of the group
 *   get it as new versions, the open task is closed (`promote.ts`), and the worker is asked to propagate
 *   to consumers and end the run (the trigger does not wait for restarts: Event Grid waits ~30 s);
 * - the provider rejects it → the last valid value is written back as the current version at once (tagged
 *   `RotatedBy`, so its own event is ignored), the task stays open with the rejection recorded, and an
 *   `invalid-value-reverted` alert goes out. Until then the bad value was current: that window is why the
 *   `POST …/versions` hand-over is preferred;
 * - the provider cannot be asked → thrown as transient, so Event Grid delivers the event again later.
 *
 * A multi-part credential set part by part (Razorpay: key id, then key secret): a part is checked with
 * what its partners serve now, and also with a partner part set by hand within `PAIR_WINDOW_MS` that was
 * reverted because it arrived first.
 */

import type { EngineDeps } from '../engine/deps.js';
import { timingOf } from '../engine/deps.js';
import { acquireGroupLease, type LeaseKeeper } from '../engine/lease-keeper.js';
import { bindProvider, requireProvider } from '../engine/provider.js';
import { isRotatorVersion } from '../engine/tags.js';
import { describeError, RotationError } from '../errors.js';
import type { CredentialGroup, ManagedSecret, RunRecord, SecretVersion } from '../ports.js';

import { groupValues, type HumanCredential } from './credential.js';
import { createdAt, lastGoodOf, nextGenerationOf, restoreTarget, versionsOf } from './history.js';
import { groupRuns, managedSecret } from './lookup.js';
import { continueHandOver, promoteHandOver } from './promote.js';
import { PAIR_WINDOW_MS, revert } from './revert.js';
import { checkWithProvider } from './submit.js';

export { PAIR_WINDOW_MS };

export interface HandSetInput {
  vault: string;
  secret: string;
  version: string;
  eventId?: string;
  eventType?: string;
}

export type HandSetOutcome =
  | { kind: 'promoted'; run: RunRecord }
  | { kind: 'reverted'; restoredFrom: string; version: string; reason: string; runId?: string }
  | { kind: 'ignored'; reason: string };

/** Values a partner part may take: what it serves now, then a recent hand-set value (reverted). */
async function partnerOptions(
  deps: EngineDeps,
  group: CredentialGroup,
  partner: ManagedSecret,
  now: Date,
): Promise<string[]> {
  const options: string[] = [];
  const current = await deps.store.getCurrent(group.vault, partner.name);
  if (current) options.push(current.value);
  const recent = (await versionsOf(deps, group.vault, partner.name))
    .filter((v) => v.enabled && !isRotatorVersion(v.tags) && now.getTime() - createdAt(v) <= PAIR_WINDOW_MS)
    .at(-1);
  if (recent && recent.version !== current?.version) {
    const value = (await deps.store.getVersion(group.vault, partner.name, recent.version))?.value;
    if (value !== undefined && !options.includes(value)) options.push(value);
  }
  return options;
}

export async function handleHandSetVersion(deps: EngineDeps, input: HandSetInput): Promise<HandSetOutcome> {
  const { secret: named, group } = await managedSecret(deps.catalog, input.vault, input.secret);
  const provider = requireProvider(deps, group);
  if (provider.mode !== 'manual') return { kind: 'ignored', reason: `${group.provider} issues its own keys` };
  if (deps.settings.paused) {
    deps.log.warn('value set by hand not checked: ROTATION_PAUSED is set', {
      secret: named.name,
      version: input.version,
    });
    return { kind: 'ignored', reason: 'paused' };
  }
  const keeper = await acquireGroupLease(deps, group.vault, group.id, timingOf(deps));
  let outcome: HandSetOutcome;
  try {
    outcome = await underLease(deps, keeper, group, named, input);
  } finally {
    await keeper.stop();
  }
  // Consumers are the worker's (restarts can take longer than Event Grid waits): queued once the lease is free.
  if (outcome.kind === 'promoted') await continueHandOver(deps, outcome.run, deps.clock.now().toISOString());
  return outcome;
}

async function underLease(
  deps: EngineDeps,
  keeper: LeaseKeeper,
  group: CredentialGroup,
  named: ManagedSecret,
  input: HandSetInput,
): Promise<HandSetOutcome> {
  const { vault } = group;
  const versions = await versionsOf(deps, vault, named.name);
  const listed = versions.find((v) => v.version.toLowerCase() === input.version.toLowerCase());
  if (!listed?.enabled) return { kind: 'ignored', reason: 'version gone or disabled' };
  if (isRotatorVersion(listed.tags)) return { kind: 'ignored', reason: 'written by the rotator' };
  const current = await deps.store.getCurrent(vault, named.name);
  if (current?.version !== listed.version)
    return { kind: 'ignored', reason: 'no longer the current version' };
  const handSet = current;
  const lastGoodListed = lastGoodOf(versions, listed);
  const lastGood = lastGoodListed
    ? await deps.store.getVersion(vault, named.name, lastGoodListed.version)
    : undefined;
  const runs = await groupRuns(deps.journal, group);

  const currents = new Map<string, SecretVersion | undefined>([[named.name, handSet]]);
  for (const secret of group.secrets) {
    if (secret.name !== named.name)
      currents.set(secret.name, await deps.store.getCurrent(vault, secret.name));
  }
  const credentialId = await nextGenerationOf(deps, group);
  const partners = group.secrets.filter((s) => s.part !== undefined && s.part !== named.part);
  const attempts: HumanCredential[] = [];
  const given = new Map([[named.name.toLowerCase(), handSet.value]]);
  const build = (choice: Map<string, string>) =>
    groupValues(
      group,
      named,
      new Map([...given, ...choice]),
      (s) => currents.get(s.name)?.value,
      credentialId,
    );
  attempts.push(build(new Map()));
  for (const partner of partners) {
    for (const option of (await partnerOptions(deps, group, partner, deps.clock.now())).slice(1)) {
      attempts.push(build(new Map([[partner.name.toLowerCase(), option]])));
    }
  }

  const unchanged = (human: HumanCredential) =>
    group.secrets.every(
      (s) => (s.name === named.name ? lastGood : currents.get(s.name))?.value === human.values.get(s.name),
    );
  if (unchanged(attempts[0]!)) {
    deps.log.info('value set by hand is the last valid value again; nothing to do', {
      secret: named.name,
      version: handSet.version,
    });
    return { kind: 'ignored', reason: 'same value as the last valid version' };
  }

  const { provider, ctx } = bindProvider(deps, group);
  const secrets = [handSet.value, ...(lastGood ? [lastGood.value] : [])];
  let rejection: RotationError | undefined;
  for (const human of attempts) {
    try {
      await checkWithProvider(provider, ctx, human.credential, [...secrets, ...human.values.values()]);
    } catch (error) {
      if (error instanceof RotationError && error.code === 'CredentialRejected') {
        rejection ??= error;
        continue;
      }
      deps.log.warn('value set by hand could not be checked; Event Grid will deliver it again', {
        secret: named.name,
        version: handSet.version,
        ...describeError(error),
      });
      throw error;
    }
    const previous = new Map(currents);
    previous.set(named.name, lastGood);
    for (const [name, version] of currents) {
      // A partner that serves a value set by hand gets the promoted tags in place, not a copy.
      if (
        name !== named.name &&
        version &&
        !isRotatorVersion(version.tags) &&
        version.value === human.values.get(name)
      ) {
        previous.set(name, undefined);
      }
    }
    const inPlace = new Map<string, SecretVersion>([[named.name, handSet]]);
    for (const [name, version] of currents) {
      if (name !== named.name && version && previous.get(name) === undefined) inPlace.set(name, version);
    }
    const result = await promoteHandOver(deps, keeper, {
      group,
      named,
      human,
      previous,
      inPlace,
      runs,
      handOver: {
        via: 'key-vault',
        trigger: {
          kind: 'event',
          ...(input.eventId ? { eventId: input.eventId } : {}),
          eventType: input.eventType ?? 'Microsoft.KeyVault.SecretNewVersionCreated',
        },
        requestedAt: deps.clock.now().toISOString(),
        version: handSet.version,
      },
    });
    return { kind: 'promoted', run: result.run };
  }
  const check = async (value: string) => {
    const human = groupValues(
      group,
      named,
      new Map([[named.name.toLowerCase(), value]]),
      (s) => currents.get(s.name)?.value,
      credentialId,
    );
    try {
      await checkWithProvider(provider, ctx, human.credential, [...secrets, value]);
      return true;
    } catch (error) {
      if (error instanceof RotationError && error.code === 'CredentialRejected') return false;
      throw error;
    }
  };
  const target = await restoreTarget(deps, group, named, versions, listed, check);
  return revert(deps, keeper, {
    group,
    named,
    handSet,
    lastGood: target,
    runs,
    reason: rejection?.message ?? 'rejected',
  });
}
