/**
 * Reads what the inventory is built from, with the fewest calls: per vault one Key Vault property listing
 * (its pages; no value reads, nothing per secret) and one journal query over the recent runs of the vault;
 * plus the latest sweep heartbeat. One vault failing to list does not stop the others.
 */

import { mapLimit } from '../concurrency.js';
import type { ResolvedConfig } from '../config/index.js';
import { describeError } from '../errors.js';
import type {
  HeartbeatStore,
  Journal,
  Logger,
  ProviderRegistry,
  RunRecord,
  SecretStore,
  SecretVersionProperties,
} from '../ports.js';
import { buildInventory, type InventoryReport, type VaultListing } from './inventory.js';
import { DAY_MS, DUE_WINDOW_DAYS } from './states.js';

export interface CollectDeps {
  store: SecretStore;
  journal: Journal;
  clock: { now(): Date };
  log: Logger;
  providers: ProviderRegistry;
  heartbeat?: HeartbeatStore | undefined;
}

export interface CollectOptions {
  /** Only these vaults (lowercased names); default every configured vault. */
  vaults?: string[];
  /** Vaults listed at once (default 4). */
  concurrency?: number;
}

export interface InventoryScan {
  report: InventoryReport;
  listings: VaultListing[];
  runs: RunRecord[];
  now: Date;
  lastSweepAt?: Date;
}

/**
 * How far back runs matter: a group's latest run happened within its validity period (else its secret
 * has expired), plus the due window and a little slack.
 */
export function runLookbackDays(config: Pick<ResolvedConfig, 'groups' | 'defaults'>, vault: string): number {
  let longest = config.defaults.validityDays;
  for (const group of config.groups) {
    if (group.vault === vault && group.validityDays > longest) longest = group.validityDays;
  }
  return longest + DUE_WINDOW_DAYS + 5;
}

async function listVault(store: SecretStore, vault: string): Promise<VaultListing> {
  try {
    const secrets: SecretVersionProperties[] = [];
    for await (const props of store.listSecrets(vault)) secrets.push(props);
    return { vault, secrets };
  } catch (error) {
    const { code, message } = describeError(error);
    return { vault, error: { code, message } };
  }
}

async function recentRuns(journal: Journal, vault: string, since: Date): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  for await (const run of journal.list({ vault, since })) runs.push(run);
  return runs;
}

/** The time the last sweep finished, or undefined (no store, none yet, or the store failed: logged). */
export async function lastSweepTime(
  heartbeat: HeartbeatStore | undefined,
  log: Logger,
): Promise<Date | undefined> {
  if (!heartbeat) return undefined;
  try {
    const beat = await heartbeat.latest();
    return beat ? new Date(beat.finishedAt) : undefined;
  } catch (error) {
    log.warn('could not read the last sweep heartbeat', describeError(error));
    return undefined;
  }
}

export function providerModes(providers: ProviderRegistry): Partial<Record<string, 'automatic' | 'manual'>> {
  const modes: Partial<Record<string, 'automatic' | 'manual'>> = {};
  for (const [kind, provider] of Object.entries(providers)) if (provider) modes[kind] = provider.mode;
  return modes;
}

/**
 * Lists every (selected) vault and its recent runs and builds the inventory. Journal failures propagate
 * (without the journal no state can be trusted); a vault that cannot be listed becomes a report problem.
 */
export async function collectInventory(
  deps: CollectDeps,
  config: ResolvedConfig,
  options: CollectOptions = {},
): Promise<InventoryScan> {
  const now = deps.clock.now();
  const wanted = options.vaults?.map((v) => v.toLowerCase());
  const vaults = config.vaults.map((v) => v.name).filter((name) => !wanted || wanted.includes(name));
  const [lastSweepAt, perVault] = await Promise.all([
    lastSweepTime(deps.heartbeat, deps.log),
    mapLimit(vaults, options.concurrency ?? 4, async (vault) => {
      const since = new Date(now.getTime() - runLookbackDays(config, vault) * DAY_MS);
      const [listing, runs] = await Promise.all([
        listVault(deps.store, vault),
        recentRuns(deps.journal, vault, since),
      ]);
      if (listing.error) deps.log.warn('vault listing failed', { vault, ...listing.error });
      return { listing, runs };
    }),
  ]);
  const listings = perVault.map((v) => v.listing);
  const runs = perVault.flatMap((v) => v.runs);
  const report = buildInventory({
    now,
    config,
    listings,
    runs,
    modes: providerModes(deps.providers),
    ...(lastSweepAt ? { lastSweepAt } : {}),
  });
  return { report, listings, runs, now, ...(lastSweepAt ? { lastSweepAt } : {}) };
}
