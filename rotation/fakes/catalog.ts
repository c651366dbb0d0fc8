/** A `SecretCatalog` over a fixed list of credential groups (what `rotation.json` would resolve to). */
import type { CredentialGroup, ManagedSecret, SecretCatalog } from '../ports.js';
import { FaultInjector } from './faults.js';

export class FakeCatalog implements SecretCatalog {
  private readonly groups: CredentialGroup[];
  /** Every `primeTags` call, in order (the fake's groups are fixed, so tags change nothing here). */
  readonly primed: { vault: string; name: string; tags: Record<string, string> | undefined }[] = [];

  constructor(
    groups: CredentialGroup[],
    readonly faults: FaultInjector = new FaultInjector(),
  ) {
    this.groups = groups.map((g) => structuredClone(g));
  }

  async resolveSecret(vault: string, name: string): Promise<ManagedSecret | undefined> {
    this.faults.hit('catalog.resolveSecret', [vault, name]);
    for (const group of this.groups) {
      if (group.vault !== vault.toLowerCase()) continue;
      const found = group.secrets.find((s) => s.name.toLowerCase() === name.toLowerCase());
      if (found) return structuredClone(found);
    }
    return undefined;
  }

  async resolveGroup(vault: string, group: string): Promise<CredentialGroup | undefined> {
    this.faults.hit('catalog.resolveGroup', [vault, group]);
    const found = this.groups.find((g) => g.vault === vault.toLowerCase() && g.id === group.toLowerCase());
    return found ? structuredClone(found) : undefined;
  }

  primeTags(vault: string, name: string, tags: Readonly<Record<string, string>> | undefined): void {
    this.primed.push({ vault: vault.toLowerCase(), name, tags: tags ? { ...tags } : undefined });
  }

  /** Replaces a group's definition (tests that change config between runs). */
  update(group: CredentialGroup): void {
    const index = this.groups.findIndex((g) => g.vault === group.vault && g.id === group.id);
    if (index >= 0) this.groups[index] = structuredClone(group);
    else this.groups.push(structuredClone(group));
  }
}
