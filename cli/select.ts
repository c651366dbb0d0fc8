/**
 * Which credential groups a bulk command works on, from one inventory scan (Key Vault listings: tags
 * without values). One target per group: rotating any secret of a group rotates them all.
 */
import type { RotatorApp } from '../composition/app.js';
import { isProviderKind, readTag } from '../rotation/kinds.js';
import { collectInventory, type InventoryRow, type InventoryScan } from '../rotation/reports/index.js';
import { UsageError } from './exit.js';

export interface Target {
  vault: string;
  group: string;
  /** The secret named in the request (the group's first by name). */
  secret: string;
  provider: string;
  row: InventoryRow;
}

export interface Selector {
  all?: boolean;
  provider?: string;
  /** `K=V` pairs; every one must match the current version's tags (names case-insensitive). */
  tags: string[];
  vault?: string;
  /** Only groups that are due, overdue, expired or failing (the plan). */
  dueOnly?: boolean;
}

export function parseTag(text: string): { key: string; value: string } {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`--tag must be KEY=VALUE (got ${text})`);
  return { key: text.slice(0, at).trim(), value: text.slice(at + 1) };
}

export function checkSelector(selector: Selector): void {
  if (selector.provider !== undefined && !isProviderKind(selector.provider)) {
    throw new UsageError(`--provider: unknown provider kind ${selector.provider}`);
  }
  for (const tag of selector.tags) parseTag(tag);
}

export async function scanFor(app: RotatorApp, vault: string | undefined): Promise<InventoryScan> {
  if (vault && !app.config.vaults.some((v) => v.name === vault))
    throw new UsageError(`vault ${vault} is not configured`);
  return collectInventory(
    { ...app.engine, heartbeat: app.heartbeat },
    app.config,
    vault ? { vaults: [vault] } : {},
  );
}

export function selectTargets(scan: InventoryScan, selector: Selector): Target[] {
  const tags = selector.tags.map(parseTag);
  const propsByKey = new Map(
    scan.listings.flatMap((l) =>
      (l.secrets ?? []).map((p) => [`${p.vault.toLowerCase()}/${p.name.toLowerCase()}`, p] as const),
    ),
  );
  const byGroup = new Map<string, Target>();
  for (const row of scan.report.rows) {
    if (!row.managed || !row.group) continue;
    if (selector.provider && row.provider !== selector.provider) continue;
    if (selector.dueOnly && !(row.inWindow || row.state === 'failing')) continue;
    const props = propsByKey.get(`${row.vault}/${row.name.toLowerCase()}`);
    if (!tags.every((t) => readTag(props?.tags, t.key) === t.value)) continue;
    const key = `${row.vault}/${row.group}`;
    const seen = byGroup.get(key);
    if (!seen || row.name.toLowerCase() < seen.secret.toLowerCase()) {
      byGroup.set(key, {
        vault: row.vault,
        group: row.group,
        secret: row.name,
        provider: row.provider ?? '',
        row,
      });
    }
  }
  return [...byGroup.values()].sort(
    (a, b) => a.vault.localeCompare(b.vault) || a.group.localeCompare(b.group),
  );
}

/** The vault a single-secret command means: `--vault`, else the only configured vault. */
export function vaultFor(app: RotatorApp, given: string | undefined): string {
  if (given) {
    const vault = given.toLowerCase();
    if (!app.config.vaults.some((v) => v.name === vault))
      throw new UsageError(`vault ${given} is not configured`);
    return vault;
  }
  if (app.config.defaultVault) return app.config.defaultVault;
  throw new UsageError(
    `several vaults are configured (${app.config.vaults.map((v) => v.name).join(', ')}): give --vault`,
  );
}
