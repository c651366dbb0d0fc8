/**
 * Which credential groups a batch's selection covers: the configured secrets of the vaults in scope plus
 * the ones the catalog infers from Microsoft's rotation tags (found by listing the vaults; the listing's
 * tags are handed to the catalog, so no secret is read for them).
 */
import { RotationError } from '../errors.js';
import { readTag } from '../kinds.js';
import type { ManagedSecret } from '../ports.js';
import type { BatchInput, SelectedGroup } from './batch.js';
import type { EngineDeps } from './deps.js';

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

/**
 * Hands `take` each managed secret an `all` or `provider` selection covers, as soon as it is known:
 * the configured ones of a vault first (no listing needed), then the tag-managed ones page by page.
 */
export async function forEachSelected(
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
