/** Manual-provider credentials the emulator accepts: minted or seeded as valid, revocable. */
import type { EmulatorContext } from '../types.js';
import { keyMatches } from './compare.js';
import { type CredentialParts, FORMATS } from './formats.js';
import type { ManualDataPlaneKind, MintedCredential } from './types.js';

export class CredentialStore {
  private readonly items: MintedCredential[] = [];
  private counter = 0;

  constructor(private readonly ctx: EmulatorContext) {}

  mint(kind: ManualDataPlaneKind): MintedCredential {
    return this.add(kind, FORMATS[kind].generate());
  }

  /** Registers `value` as valid; an already valid identical value is returned as is. Throws on a bad format. */
  seed(kind: ManualDataPlaneKind, value: string): MintedCredential {
    const parts = FORMATS[kind].parse(value.trim());
    if (!parts) throw new Error(`Not a ${kind} credential: expected ${FORMATS[kind].describe}.`);
    const existing = this.items.find((c) => c.kind === kind && !c.revoked && c.value === parts.value);
    return existing ? { ...existing } : this.add(kind, parts);
  }

  /** Revokes the live credentials whose id, last 4 characters or full value equals `ref`. */
  revoke(kind: ManualDataPlaneKind, ref: string): number {
    let count = 0;
    for (const c of this.items) {
      if (c.kind !== kind || c.revoked) continue;
      if (c.id === ref || c.last4 === ref || c.value === ref) {
        c.revoked = true;
        count += 1;
      }
    }
    return count;
  }

  list(kind: ManualDataPlaneKind): MintedCredential[] {
    return this.items.filter((c) => c.kind === kind).map((c) => ({ ...c }));
  }

  /** Whether `value` (Razorpay: `key_id:key_secret`) is a live credential of `kind`. */
  isLive(kind: ManualDataPlaneKind, value: string): boolean {
    const live = this.items.filter((c) => c.kind === kind && !c.revoked).map((c) => c.value);
    return keyMatches(live, value);
  }

  private add(kind: ManualDataPlaneKind, parts: CredentialParts): MintedCredential {
    this.counter += 1;
    const credential: MintedCredential = {
      kind,
      id: `cred-${this.counter}`,
      value: parts.value,
      ...(parts.keyId === undefined ? {} : { keyId: parts.keyId, keySecret: parts.keySecret }),
      last4: parts.value.slice(-4),
      revoked: false,
      createdAt: this.ctx.clock.now().toISOString(),
    };
    this.items.push(credential);
    return { ...credential };
  }
}
