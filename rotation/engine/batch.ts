/**
 * Rotating many secrets at once (`POST /api/rotations`, `rotator rotate --all`): a selection (names, a
 * provider, a Key Vault tag, or everything) resolves to credential groups — one run per group, since a
 * group rotates as one — which are planned (dry run) or enqueued with bounded parallelism. How many runs
 * execute at once is bounded separately, by the worker's run slots (`slots.ts`).
 *
 * The plan id guard (`all` + `compromised` needs the `planId` of a preceding dry run of the same
 * selection): a deliberate two-step against a mis-click. The id is derived statelessly —
 * `<issuedAt, base 36>.<sha256(normalized selection, vaults, compromised, run ids, issuedAt)>` — so it
 * needs no storage and expires by itself (`PLAN_TTL_SECONDS`). Run ids encode each group's current
 * version, so the id also stops matching when anything in the selection was rotated after the dry run.
 * It is not a secret: anyone allowed to dry-run could compute it; it guards against accidents, not
 * against callers who hold the function key anyway.
 */
import { createHash } from 'node:crypto';
import { limiter, mapLimit } from '../concurrency.js';
import { describeError, RotationError } from '../errors.js';
import type { ProviderKind } from '../kinds.js';
import type { CredentialGroup, ManagedSecret, RunRequest, Trigger } from '../ports.js';
import type { EngineDeps } from './deps.js';
import { type EnqueueOutcome, enqueueRotation } from './enqueue.js';
import { planRotation, type RotationPlan } from './plan.js';
import { type PreflightCheck, preflightChecks } from './preflight.js';
import { forEachSelected, selectGroups } from './selection.js';
import { concurrencyOf } from './slots.js';
import { resolveTarget } from './target.js';

export type Selection =
  | { names: string[] }
  | { provider: ProviderKind }
  | { tag: Record<string, string> }
  | { all: true };

export const PLAN_TTL_SECONDS = 15 * 60;

export interface BatchInput {
  selection: Selection;
  /** Lowercased vaults in scope; `names` needs exactly one. */
  vaults: string[];
  /** Secrets configured in rotation.json (secrets inferred from tags are found by listing the vaults). */
  configured: readonly ManagedSecret[];
  compromised: boolean;
  trigger: Trigger;
  planId?: string;
}

export interface SelectedGroup {
  vault: string;
  group: CredentialGroup;
  /** The group's secrets the selection named (at least one). */
  selected: string[];
}

export interface GroupPlan extends SelectedGroup {
  plan?: RotationPlan;
  checks: PreflightCheck[];
  error?: { code: string; message: string };
}

export interface BatchPlan {
  planId: string;
  expiresAt: string;
  groups: GroupPlan[];
}

export interface GroupStart extends SelectedGroup {
  outcome?: Extract<EnqueueOutcome, { kind: 'run' }>;
  error?: { code: string; message: string };
}

function requestFor(
  deps: Pick<EngineDeps, 'clock'>,
  entry: SelectedGroup,
  input: BatchInput,
  dryRun: boolean,
): RunRequest {
  return {
    vault: entry.vault,
    secret: entry.selected[0]!,
    trigger: { ...input.trigger },
    ...(input.compromised ? { compromised: true } : {}),
    ...(dryRun ? { dryRun: true } : {}),
    requestedAt: deps.clock.now().toISOString(),
  };
}

function normalizedSelection(selection: Selection): unknown {
  if ('names' in selection)
    return { names: [...new Set(selection.names.map((n) => n.trim().toLowerCase()))].sort() };
  if ('provider' in selection) return { provider: selection.provider };
  if ('tag' in selection) {
    return {
      tag: Object.entries(selection.tag)
        .map(([k, v]) => [k.trim().toLowerCase(), v.trim()])
        .sort((a, b) => a[0]!.localeCompare(b[0]!)),
    };
  }
  return { all: true };
}

/** The plan id for a selection whose groups map to `runIds` (an error code stands in for a group that could not be planned). */
export function computePlanId(
  input: Pick<BatchInput, 'selection' | 'vaults' | 'compromised'>,
  runIds: string[],
  issuedAt: Date,
): string {
  const seconds = Math.floor(issuedAt.getTime() / 1000);
  const material = JSON.stringify({
    v: 1,
    selection: normalizedSelection(input.selection),
    vaults: [...input.vaults].sort(),
    compromised: input.compromised,
    runs: [...runIds].sort(),
    issuedAt: seconds,
  });
  return `${seconds.toString(36)}.${createHash('sha256').update(material).digest('hex').slice(0, 32)}`;
}

/** Dry run of a batch: plan and checks per group, and the plan id. Changes nothing. */
export async function planBatch(deps: EngineDeps, input: BatchInput): Promise<BatchPlan> {
  const now = deps.clock.now();
  const selected = await selectGroups(deps, input);
  const groups = await mapLimit(selected, concurrencyOf(deps), async (entry): Promise<GroupPlan> => {
    try {
      const plan = await planRotation(deps, requestFor(deps, entry, input, true));
      return { ...entry, plan, checks: await preflightChecks(deps, entry.group) };
    } catch (error) {
      const { code, message } = describeError(error);
      return { ...entry, checks: [], error: { code, message } };
    }
  });
  const runIds = await targetIds(deps, input, selected);
  return {
    planId: computePlanId(input, runIds, now),
    expiresAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + PLAN_TTL_SECONDS * 1000).toISOString(),
    groups,
  };
}

/** The run id each group maps to now (or its error code): what a plan id is bound to. */
async function targetIds(deps: EngineDeps, input: BatchInput, selected: SelectedGroup[]): Promise<string[]> {
  return mapLimit(selected, concurrencyOf(deps), async (entry) => {
    try {
      return (await resolveTarget(deps, requestFor(deps, entry, input, true))).runId;
    } catch (error) {
      return `${entry.vault}/${entry.group.id}:${describeError(error).code}`;
    }
  });
}

/** Throws `PlanRequired` unless `planId` came from a dry run of this very selection, still current. */
export async function verifyPlanId(
  deps: EngineDeps,
  input: BatchInput,
  selected: SelectedGroup[],
): Promise<void> {
  const planId = input.planId;
  const match = planId ? /^([0-9a-z]{1,12})\.([0-9a-f]{32})$/.exec(planId) : null;
  if (!planId || !match) {
    throw new RotationError(
      'PlanRequired',
      planId
        ? 'planId is not a plan id: dry-run the selection (dryRun: true) and pass the planId it returns'
        : 'rotating all secrets as compromised needs the planId of a dry run of the same selection: send it with dryRun: true first',
      { details: [{ path: '$.planId', message: planId ? 'malformed' : 'required' }] },
    );
  }
  const issuedAt = new Date(Number.parseInt(match[1]!, 36) * 1000);
  const age = deps.clock.now().getTime() - issuedAt.getTime();
  if (age > PLAN_TTL_SECONDS * 1000 || age < -60_000) {
    throw new RotationError(
      'PlanRequired',
      `the plan expired (plans are valid for ${PLAN_TTL_SECONDS / 60} minutes): dry-run again`,
      {
        details: [{ path: '$.planId', message: 'expired' }],
      },
    );
  }
  const runIds = await targetIds(deps, input, selected);
  if (computePlanId(input, runIds, issuedAt) !== planId) {
    throw new RotationError(
      'PlanRequired',
      'the planId does not match this selection as it is now (a different selection, or a secret changed since the dry run): dry-run again',
      { details: [{ path: '$.planId', message: 'does not match' }] },
    );
  }
}

/**
 * Starts a batch: the plan id guard, then one run per group, enqueued with bounded parallelism. Results
 * are sorted by vault and group.
 *
 * Without a plan id to check, `all` and `provider` selections queue as they select: configured secrets'
 * groups at once, tag-managed ones as the vault's listing reaches them, so the first runs start while a
 * large vault is still being listed (found by `npm run bench`: 40 pages of 50 ms before the first run of
 * a 1,000-secret batch). A listing that fails part-way throws once the groups already found are queued;
 * queuing is idempotent per run, so the caller's retry queues the rest and duplicates nothing.
 */
export async function startBatch(deps: EngineDeps, input: BatchInput): Promise<GroupStart[]> {
  const guarded = ('all' in input.selection && input.compromised) || input.planId !== undefined;
  const streams = 'all' in input.selection || 'provider' in input.selection;
  if (guarded || !streams) {
    const selected = await selectGroups(deps, input);
    if (guarded) await verifyPlanId(deps, input, selected);
    return mapLimit(selected, concurrencyOf(deps), (entry) => startGroup(deps, input, entry));
  }
  const limit = limiter(concurrencyOf(deps));
  const groups = new Map<string, { selected: string[]; start: Promise<GroupStart> }>();
  const take = (secret: ManagedSecret) => {
    const key = `${secret.vault}/${secret.group}`;
    const known = groups.get(key);
    if (known) {
      if (!known.selected.some((n) => n.toLowerCase() === secret.name.toLowerCase()))
        known.selected.push(secret.name);
      return;
    }
    // `selected` fills up while the listing goes on; the run is named by the first (as `selectGroups`).
    const selected = [secret.name];
    const start = limit(async () => {
      const group = await deps.catalog.resolveGroup(secret.vault, secret.group);
      if (!group) throw new RotationError('ConfigInvalid', `credential group ${secret.group} is unknown`);
      return startGroup(deps, input, { vault: secret.vault, group, selected });
    });
    groups.set(key, { selected, start });
  };
  let listing: unknown;
  try {
    await forEachSelected(deps, input, take);
  } catch (error) {
    listing = error;
  }
  const started = await Promise.allSettled([...groups.values()].map((g) => g.start));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (listing !== undefined) throw listing;
  if (failed) throw failed.reason;
  return started
    .map((s) => (s as PromiseFulfilledResult<GroupStart>).value)
    .sort((a, b) => `${a.vault}/${a.group.id}`.localeCompare(`${b.vault}/${b.group.id}`));
}

async function startGroup(deps: EngineDeps, input: BatchInput, entry: SelectedGroup): Promise<GroupStart> {
  try {
    const outcome = await enqueueRotation(deps, requestFor(deps, entry, input, false));
    if (outcome.kind !== 'run')
      throw new RotationError('InternalError', 'a batch run was planned instead of queued');
    return { ...entry, outcome };
  } catch (error) {
    const { code, message } = describeError(error);
    deps.log.warn('batch: could not queue a group', { group: entry.group.id, code });
    return { ...entry, error: { code, message } };
  }
}
