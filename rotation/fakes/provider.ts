/**
 * An in-memory credential provider with key-pair semantics (like Cognitive Services): two live keys;
 * `issue` regenerates the one Key Vault does not serve, `revoke` regenerates the previous one. Every
 * method reports to the world's `FaultInjector` as `provider.<method>`, so tests can fail any of them.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ProviderKind } from '../kinds.js';
import type {
  CredentialProvider,
  CurrentCredential,
  IssuedCredential,
  IssueResult,
  ProviderContext,
  RevokeResult,
  ValidationResult,
} from '../ports.js';
import { FaultInjector } from './faults.js';

export type FakeKeyName = 'key1' | 'key2';

/** The provider's side: which keys exist now. */
export class FakeKeyService {
  readonly keys: Record<FakeKeyName, string> = { key1: newKey(), key2: newKey() };
  /** Values that were once keys and have been regenerated away. */
  readonly dead = new Set<string>();
  regenerations = 0;

  regenerate(name: FakeKeyName): string {
    this.dead.add(this.keys[name]);
    this.keys[name] = newKey();
    this.regenerations += 1;
    return this.keys[name];
  }

  isLive(value: string): boolean {
    return value === this.keys.key1 || value === this.keys.key2;
  }

  nameOf(value: string): FakeKeyName | undefined {
    if (value === this.keys.key1) return 'key1';
    if (value === this.keys.key2) return 'key2';
    return undefined;
  }
}

export const fakeProviderSettings = z.object({
  resourceId: z.string().min(1).optional(),
  /** Extra parts written to secrets whose `part` matches (multi-part credentials). */
  parts: z.array(z.string().min(1)).default([]),
});
export type FakeProviderSettings = z.infer<typeof fakeProviderSettings>;

export interface FakeProviderOptions {
  kind?: ProviderKind;
  mode?: 'automatic' | 'manual';
  service?: FakeKeyService;
  faults?: FaultInjector;
  /** Validation answers `rejected` this many times before it looks at the key. */
  rejectFirst?: number;
  /** Validation answers `unavailable` this many times before it looks at the key. */
  unavailableFirst?: number;
  /** Offer `retrieve` (default true). */
  retrieve?: boolean;
  /** Offer `revoke` (default true). */
  revoke?: boolean;
  revokePolicy?: 'on-compromise' | 'always';
  /** Declare `issuing: 'in-process'` (the engine then journals issued and validated in one write). */
  issuing?: 'in-process';
}

export interface FakeProvider extends CredentialProvider<FakeProviderSettings> {
  readonly service: FakeKeyService;
  /** Method names in call order. */
  readonly calls: string[];
}

export function createFakeProvider(options: FakeProviderOptions = {}): FakeProvider {
  const service = options.service ?? new FakeKeyService();
  const faults = options.faults ?? new FaultInjector();
  const calls: string[] = [];
  let rejectLeft = options.rejectFirst ?? 0;
  let unavailableLeft = options.unavailableFirst ?? 0;
  const hit = (method: string, args: readonly unknown[]) => {
    calls.push(method);
    faults.hit(`provider.${method}`, args);
  };
  const credentialFor = (name: FakeKeyName, settings: FakeProviderSettings): IssuedCredential => {
    const parts: Record<string, string> = {};
    for (const part of settings.parts) parts[part] = `${part}-${name}-${service.keys[name].slice(0, 8)}`;
    return {
      value: service.keys[name],
      credentialId: name,
      ...(settings.resourceId ? { providerAddress: settings.resourceId } : {}),
      ...(settings.parts.length > 0 ? { parts } : {}),
    };
  };

  const provider: FakeProvider = {
    kind: options.kind ?? 'azure-cognitive-services',
    mode: options.mode ?? 'automatic',
    settingsSchema: fakeProviderSettings,
    ...(options.revokePolicy ? { revokePolicy: options.revokePolicy } : {}),
    ...(options.issuing ? { issuing: options.issuing } : {}),
    service,
    calls,
    async issue(ctx: ProviderContext<FakeProviderSettings>, current: CurrentCredential | undefined) {
      hit('issue', [current?.credentialId]);
      if (provider.mode === 'manual') {
        return {
          kind: 'manual',
          instructions: 'Create a new key in the fake dashboard',
          dashboardUrl: 'https://dashboard.invalid/keys',
        } satisfies IssueResult;
      }
      const inUse = current ? (service.nameOf(current.value) ?? current.credentialId) : undefined;
      const inactive: FakeKeyName = inUse === 'key1' ? 'key2' : 'key1';
      service.regenerate(inactive);
      return { kind: 'issued', credential: credentialFor(inactive, ctx.settings) } satisfies IssueResult;
    },
    async validate(_ctx, credential): Promise<ValidationResult> {
      hit('validate', [credential.credentialId]);
      if (rejectLeft > 0) {
        rejectLeft -= 1;
        return { ok: false, outcome: 'rejected', reason: '401 from the fake service' };
      }
      if (unavailableLeft > 0) {
        unavailableLeft -= 1;
        return { ok: false, outcome: 'unavailable', reason: '503 from the fake service' };
      }
      return service.isLive(credential.value)
        ? { ok: true }
        : { ok: false, outcome: 'rejected', reason: '401 from the fake service' };
    },
  };
  if (options.retrieve ?? true) {
    provider.retrieve = async (ctx, credentialId) => {
      hit('retrieve', [credentialId]);
      return credentialId === 'key1' || credentialId === 'key2'
        ? credentialFor(credentialId, ctx.settings)
        : undefined;
    };
  }
  if (options.revoke ?? true) {
    provider.revoke = async (_ctx, credential): Promise<RevokeResult> => {
      hit('revoke', [credential.credentialId]);
      const name = credential.credentialId;
      if (name !== 'key1' && name !== 'key2') return { revoked: [], pendingHuman: [`unknown key ${name}`] };
      service.regenerate(name);
      return { revoked: [name], pendingHuman: [] };
    };
  }
  return provider;
}

function newKey(): string {
  return randomBytes(32).toString('base64');
}
