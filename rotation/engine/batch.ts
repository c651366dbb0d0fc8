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
import { describeError, RotationError } from '../errors.js';
import { type ProviderKind, readTag } from '../kinds.js';
import type { CredentialGroup, ManagedSecret, RunRequest, Trigger } from '../ports.js';
import type { EngineDeps } from './deps.js';
import { type EnqueueOutcome, enqueueRotation } from './enqueue.js';
import { planRotation, type RotationPlan } from './plan.js';
import { type PreflightCheck, preflightChecks } from './preflight.js';
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

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function tagsMatch(tags: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => readTag(tags, key.trim())?.trim() === value.trim());
}

/**
 * Configured secrets of `vault` plus the ones the catalog infers from tags, with their current tags. The
 * listing returned every secret's tags: the catalog is handed them instead of reading each secret again.
 */
async function managedInVault(
  deps: Pick<EngineDeps, 'catalog' | 'store'>,
  vault: string,
  configured: readonly ManagedSecret[],
): Promise<{ secret: ManagedSecret; tags: Record<string, string> | undefined }[]> {
  const listed = new Map<string, Record<string, string>>();
  for await (const props of deps.store.listSecrets(vault)) listed.set(props.name.toLowerCase(), props.tags);
  const out = configured
    .filter((s) => s.vault === vault)
    .map((secret) => ({ secret, tags: listed.get(secret.name.toLowerCase()) }));
  const known = new Set(out.map((o) => o.secret.name.toLowerCase()));
  for (const [name, tags] of listed) {
    if (known.has(name)) continue;
    deps.catalog.primeTags?.(vault, name, tags);
    const secret = await deps.catalog.resolveSecret(vault, name);
    if (secret) out.push({ secret, tags });
  }
  return out;
}

/** The groups a selection covers, sorted by vault and group. Unmanaged names are a 404 (nothing done). */
export async function selectGroups(
  deps: Pick<EngineDeps, 'catalog' | 'store'>,
  input: Pick<BatchInput, 'selection' | 'vaults' | 'configured'>,
): Promise<SelectedGroup[]> {
  const { selection } = input;
  const chosen: ManagedSecret[] = [];
  if ('names' in selection) {
    const vault = input.vaults[0];
    if (input.vaults.length !== 1 || vault === undefined) {
      throw new RotationError('BadRequest', 'several vaults are configured: name one with ?vault=', {
        details: [{ path: 'vault', message: 'required when several vaults are configured' }],
      });
    }
    const missing: { path: string; message: string }[] = [];
    for (const [i, name] of selection.names.entries()) {
      const secret = await deps.catalog.resolveSecret(vault, name.trim());
      if (secret) chosen.push(secret);
      else
        missing.push({ path: `$.select.names[${i}]`, message: `${name} is not managed in vault ${vault}` });
    }
    if (missing.length > 0) {
      throw new RotationError('UnmanagedSecret', `${missing.length} selected secret(s) are not managed`, {
        details: missing,
      });
    }
  } else {
    for (const vault of input.vaults) {
      for (const { secret, tags } of await managedInVault(deps, vault, input.configured)) {
        if ('all' in selection) chosen.push(secret);
        else if ('provider' in selection && secret.provider === selection.provider) chosen.push(secret);
        else if ('tag' in selection && tagsMatch(tags, selection.tag)) chosen.push(secret);
      }
    }
  }
  const groups = new Map<string, SelectedGroup>();
  for (const secret of chosen) {
    const key = `${secret.vault}/${secret.group}`;
    let entry = groups.get(key);
    if (!entry) {
      const group = await deps.catalog.resolveGroup(secret.vault, secret.group);
      if (!group) throw new RotationError('ConfigInvalid', `credential group ${secret.group} is unknown`);
      entry = { vault: secret.vault, group, selected: [] };
      groups.set(key, entry);
    }
    if (!entry.selected.some((n) => n.toLowerCase() === secret.name.toLowerCase()))
      entry.selected.push(secret.name);
  }
  return [...groups.values()].sort((a, b) =>
    `${a.vault}/${a.group.id}`.localeCompare(`${b.vault}/${b.group.id}`),
  );
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

/**
 * Hands `take` each managed secret an `all` or `provider` selection covers, as soon as it is known:
 * the configured ones of a vault first (no listing needed), then the tag-managed ones page by page.
 */
async function forEachSelected(
  deps: Pick<EngineDeps, 'catalog' | 'store'>,
  input: Pick<BatchInput, 'selection' | 'vaults' | 'configured'>,
  take: (secret: ManagedSecret) => void,
): Promise<void> {
  const { selection } = input;
  const wanted = (secret: ManagedSecret) =>
    !('provider' in selection) || secret.provider === selection.provider;
  for (const vault of input.vaults) {
    const configured = input.configured.filter((s) => s.vault === vault);
    for (const secret of configured) if (wanted(secret)) take(secret);
    const known = new Set(configured.map((s) => s.name.toLowerCase()));
    for await (const props of deps.store.listSecrets(vault)) {
      const name = props.name.toLowerCase();
      if (known.has(name)) continue;
      known.add(name);
      deps.catalog.primeTags?.(vault, name, props.tags);
      const secret = await deps.catalog.resolveSecret(vault, name);
      if (secret && wanted(secret)) take(secret);
    }
  }
}

/** Runs the functions given to it with at most `limit` in flight, in the order given. */
function limiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return (fn) =>
    new Promise((resolve, reject) => {
      const run = () => {
        active += 1;
        fn()
          .then(resolve, reject)
          .finally(() => {
            active -= 1;
            waiting.shift()?.();
          });
      };
      if (active < limit) run();
      else waiting.push(run);
    });
}
