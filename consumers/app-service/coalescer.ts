/**
 * Restart coalescing. When several credential groups rotate together (a batch, a compromise response) and
 * share a consumer site, that site should restart once, not once per group. Requests for the same site and
 * slot that arrive within `windowMs` of the first are merged into one restart whose result every waiter
 * shares. A request arriving after the merged restart has started opens a new window: the running restart
 * began before that group's promotion, so it might not pick up the new version.
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
  promise: Promise<RestartReceipt>;
}

export class RestartCoalescer {
  private readonly pending = new Map<string, PendingRestart>();

  constructor(
    private readonly inner: SiteRestarter,
    private readonly options: { windowMs: number },
  ) {}

  /** Joins (or opens) the restart window of this site and slot; resolves when the shared restart is done. */
  restart(resourceId: string, options: RestartOptions): Promise<RestartReceipt> {
    const parsed = parseSiteId(resourceId);
    const slot = options.slot ?? (parsed.ok ? parsed.site.slot : undefined);
    const key = parsed.ok
      ? siteSlotKey(parsed.site, slot)
      : `unparsed:${resourceId.toLowerCase()}/${slotName(slot)}`;
    const existing = this.pending.get(key);
    if (existing) {
      existing.requests += 1;
      existing.soft &&= options.soft;
      existing.synchronous ||= options.synchronous ?? false;
      return existing.promise;
    }
    let release!: () => void;
    const opened = new Promise<void>((resolve) => {
      release = resolve;
    });
    const entry: PendingRestart = {
      // Restart the production id plus explicit slot, so an id with `/slots/x` and one with `slot: x` merge.
      resourceId: parsed.ok ? siteResourceId(parsed.site) : resourceId,
      slot,
      soft: options.soft,
      synchronous: options.synchronous ?? false,
      requests: 1,
      promise: opened.then(() => this.flush(key, entry)),
    };
    this.pending.set(key, entry);
    setTimeout(release, this.options.windowMs);
    return entry.promise;
  }

  /** Number of windows currently open (for tests and diagnostics). */
  get openWindows(): number {
    return this.pending.size;
  }

  private async flush(key: string, entry: PendingRestart): Promise<RestartReceipt> {
    this.pending.delete(key);
    const options: RestartOptions = { soft: entry.soft, synchronous: entry.synchronous };
    if (entry.slot !== undefined) options.slot = entry.slot;
    await this.inner.restart(entry.resourceId, options);
    return { requests: entry.requests, soft: entry.soft, slot: slotName(entry.slot) };
  }
}
