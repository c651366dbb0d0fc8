/**
 * Restart coalescing. When several credential groups rotate together (a batch, a compromise response) and
 * share a consumer site, that site should restart once, not once per group. Requests for the same site and
 * slot are merged into one restart whose result every waiter shares. A request arriving after the merged
 * restart has started opens a new window: the running restart began before that group's promotion, so it
 * might not pick up the new version.
 *
 * How long a window stays open: a run announces early (`expect`, when the worker takes it) that it will
 * restart the site. A window closes as soon as every announced run of its site has asked (or withdrawn),
 * so a run alone restarts at once and a batch's runs in flight still share one restart. A window with a
 * request nobody announced (a caller that cannot tell) waits `windowMs`, which also caps every wait: a
 * sibling stuck in validation retries must not hold the others' restart back for long.
 *
 * Merging: hard beats soft (a hard restart also reloads configuration), synchronous beats asynchronous.
 * Coalescing is per process (the worker runs up to ROTATION_CONCURRENCY runs); separate instances each
 * restart once.
 */
import { parseSiteId, siteResourceId, siteSlotKey, slotName } from './resource-id.js';
import type { RestartOptions, SiteRestarter } from './restarter.js';

export interface RestartReceipt {
  /** How many restart requests this one restart served (1 = not shared). */
  requests: number;
  soft: boolean;
  slot: string;
}

interface PendingRestart {
  resourceId: string;
  slot: string | undefined;
  soft: boolean;
  synchronous: boolean;
  requests: number;
  /** A request that no run announced joined: only the window's timer may close it. */
  unannounced: boolean;
  close: () => void;
  promise: Promise<RestartReceipt>;
}

interface SiteKey {
  key: string;
  /** The production id (plus `slot`), so an id with `/slots/x` and one with `slot: x` merge. */
  resourceId: string;
  slot: string | undefined;
}

export class RestartCoalescer {
  private readonly pending = new Map<string, PendingRestart>();
  /** Per site and slot: runs that announced a restart → whether their request has arrived. */
  private readonly expected = new Map<string, Map<string, boolean>>();

  constructor(
    private readonly inner: SiteRestarter,
    private readonly options: { windowMs: number },
  ) {}

  /**
   * Announces that run `runId` will ask to restart this site and slot. Returns the withdrawal, to call when
   * the run ends (asked or not); until then, a window of the site waits for the run's request.
   */
  expect(resourceId: string, slot: string | undefined, runId: string): () => void {
    const { key } = siteKeyOf(resourceId, slot);
    let runs = this.expected.get(key);
    if (!runs) {
      runs = new Map();
      this.expected.set(key, runs);
    }
    if (!runs.has(runId)) runs.set(runId, false);
    return () => {
      const current = this.expected.get(key);
      if (!current?.delete(runId)) return;
      if (current.size === 0) this.expected.delete(key);
      this.closeIfComplete(key);
    };
  }

  /**
   * Joins (or opens) the restart window of this site and slot; resolves when the shared restart is done.
   * `runId`: the run asking, matched against announcements (a run that asks again, a retry, stays
   * announced and arrived: nobody waits for it).
   */
  restart(resourceId: string, options: RestartOptions, runId?: string): Promise<RestartReceipt> {
    const site = siteKeyOf(resourceId, options.slot);
    const runs = this.expected.get(site.key);
    const announced = runId !== undefined && runs?.has(runId) === true;
    if (announced) runs!.set(runId, true);
    const entry = this.pending.get(site.key) ?? this.open(site, options);
    if (entry.requests > 0) {
      entry.soft &&= options.soft;
      entry.synchronous ||= options.synchronous ?? false;
    }
    entry.requests += 1;
    entry.unannounced ||= !announced;
    this.closeIfComplete(site.key);
    return entry.promise;
  }

  /** Number of windows currently open (for tests and diagnostics). */
  get openWindows(): number {
    return this.pending.size;
  }

  private open(site: SiteKey, options: RestartOptions): PendingRestart {
    let close!: () => void;
    const closed = new Promise<void>((resolve) => {
      close = resolve;
    });
    const timer = setTimeout(close, this.options.windowMs);
    const entry: PendingRestart = {
      resourceId: site.resourceId,
      slot: site.slot,
      soft: options.soft,
      synchronous: options.synchronous ?? false,
      requests: 0,
      unannounced: false,
      close: () => {
        clearTimeout(timer);
        close();
      },
      promise: closed.then(() => this.flush(site.key, entry)),
    };
    this.pending.set(site.key, entry);
    return entry;
  }

  /** Closes the window now when only announced runs joined it and none is still on its way. */
  private closeIfComplete(key: string): void {
    const entry = this.pending.get(key);
    if (!entry || entry.unannounced) return;
    const runs = this.expected.get(key);
    if (runs && [...runs.values()].some((arrived) => !arrived)) return;
    entry.close();
  }

  private async flush(key: string, entry: PendingRestart): Promise<RestartReceipt> {
    this.pending.delete(key);
    const options: RestartOptions = { soft: entry.soft, synchronous: entry.synchronous };
    if (entry.slot !== undefined) options.slot = entry.slot;
    await this.inner.restart(entry.resourceId, options);
    return { requests: entry.requests, soft: entry.soft, slot: slotName(entry.slot) };
  }
}

function siteKeyOf(resourceId: string, explicitSlot: string | undefined): SiteKey {
  const parsed = parseSiteId(resourceId);
  if (!parsed.ok) {
    return {
      key: `unparsed:${resourceId.toLowerCase()}/${slotName(explicitSlot)}`,
      resourceId,
      slot: explicitSlot,
    };
  }
  const slot = explicitSlot ?? parsed.site.slot;
  return { key: siteSlotKey(parsed.site, slot), resourceId: siteResourceId(parsed.site), slot };
}
