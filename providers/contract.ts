/**
 * One contract every credential provider must meet, run against each provider with its environment and
 * against the in-memory fake (like unstorage's `testDriver`): issue → validate → promote (a real engine
 * run over fake ports) → retrieve and revoke where supported, and no secret value in what the run left
 * behind. Call `describeProviderContract` from the provider's `adapter.test.ts`.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { enqueueRotation } from '../rotation/engine/enqueue.js';
import { bindProvider } from '../rotation/engine/provider.js';
import { FakeWorld, fakeGroup, runRequest } from '../rotation/fakes/world.js';
import type {
  CredentialGroup,
  CredentialProvider,
  IssuedCredential,
  ProviderContext,
} from '../rotation/ports.js';

export interface ContractEnvironment {
  provider: CredentialProvider;
  /** Group settings as `rotation.json` would give them. */
  settings: Record<string, unknown>;
  /** Puts the provider's current credential into Key Vault for every secret of the group. */
  seed(world: FakeWorld, group: CredentialGroup): Promise<void> | void;
  /** Whether a credential still works at the provider (revoked ones must not). */
  isLive(
    world: FakeWorld,
    group: CredentialGroup,
    credential: { value: string; credentialId: string },
  ): Promise<boolean>;
  /** A credential the provider must reject, made from a good one. Default: the value with its last character changed. */
  spoil?(credential: IssuedCredential): IssuedCredential;
  /**
   * Manual providers with `humanMinted`: plays the human who mints a credential in the provider's
   * dashboard (e.g. the emulator's data plane) and returns it as it would be submitted.
   */
  mint?(world: FakeWorld, group: CredentialGroup): Promise<IssuedCredential> | IssuedCredential;
  /** Manual providers with `humanMinted`: plays the human who revokes `credential` in the dashboard. */
  revokeAtProvider?(credential: IssuedCredential): Promise<void> | void;
}

function tamper(credential: IssuedCredential): IssuedCredential {
  const last = credential.value.at(-1) === 'A' ? 'B' : 'A';
  return { ...credential, value: `${credential.value.slice(0, -1)}${last}` };
}

/** What the provider supports; declared up front so only the tests that apply are registered. */
export interface ContractCapabilities {
  mode: 'automatic' | 'manual';
  retrieve: boolean;
  revoke: boolean;
  /**
   * Manual providers only: the environment can play the human (`mint`, `revokeAtProvider`). Adds checks
   * that a minted credential validates and a revoked one is rejected, and that `revoke` leaves the work
   * to a human without revoking anything itself or naming a value.
   */
  humanMinted?: boolean;
}

export function describeProviderContract(
  name: string,
  capabilities: ContractCapabilities,
  makeEnvironment: (world: FakeWorld) => ContractEnvironment | Promise<ContractEnvironment>,
): void {
  const automatic = capabilities.mode === 'automatic';
  describe(`provider contract: ${name}`, () => {
    let world: FakeWorld;
    let env: ContractEnvironment;
    let group: CredentialGroup;
    let ctx: ProviderContext<unknown>;

    beforeEach(async () => {
      world = new FakeWorld();
      env = await makeEnvironment(world);
      group = fakeGroup({
        id: 'contract',
        provider: env.provider.kind,
        settings: env.settings,
        secrets: ['contract-a', 'contract-b'],
      });
      world.catalog.update(group);
      world.providers[env.provider.kind] = env.provider;
      await env.seed(world, group);
      ctx = bindProvider(world.deps, group).ctx;
    });

    const currentOf = async () => {
      const current = await world.store.getCurrent(group.vault, 'contract-a');
      return current
        ? {
            value: current.value,
            version: current.version,
            credentialId: current.tags.CredentialId,
            tags: current.tags,
          }
        : undefined;
    };

    const issueOne = async (): Promise<IssuedCredential> => {
      const result = await env.provider.issue(ctx, await currentOf());
      if (result.kind !== 'issued') throw new Error(`${name} asked for a human`);
      return result.credential;
    };

    it('declares its capabilities and accepts its settings', () => {
      expect(env.provider.mode).toBe(capabilities.mode);
      expect(env.provider.retrieve !== undefined).toBe(capabilities.retrieve);
      expect(env.provider.revoke !== undefined).toBe(capabilities.revoke);
      expect(env.provider.settingsSchema.safeParse(env.settings).success).toBe(true);
    });

    if (!automatic) {
      it('asks a human for the credential, with instructions', async () => {
        const result = await env.provider.issue(ctx, await currentOf());
        expect(result).toMatchObject({ kind: 'manual', instructions: expect.any(String) });
      });
      it('ends an engine run manual-action-required and alerts', async () => {
        await enqueueRotation(world.deps, runRequest(world, { vault: group.vault, secret: 'contract-a' }));
        const [run] = await world.drain();
        expect(run?.status).toBe('manual-action-required');
        expect(world.notifier.ofKind('manual-action-required')).toHaveLength(1);
      });
      if (capabilities.humanMinted) describeHumanMinted();
      return;
    }

    function describeHumanMinted(): void {
      const minted = async (): Promise<IssuedCredential> => {
        if (!env.mint || !env.revokeAtProvider)
          throw new Error(`${name}: humanMinted needs mint and revokeAtProvider`);
        return env.mint(world, group);
      };

      it('validates a credential a human minted, rejects it spoiled, and rejects it once revoked', async () => {
        const credential = await minted();
        expect(await env.provider.validate(ctx, credential)).toEqual({ ok: true });
        const spoiled = (env.spoil ?? tamper)(credential);
        const spoiledResult = await env.provider.validate(ctx, spoiled);
        expect(spoiledResult).toMatchObject({ ok: false, outcome: 'rejected' });
        await env.revokeAtProvider!(credential);
        const revoked = await env.provider.validate(ctx, credential);
        expect(revoked).toMatchObject({ ok: false, outcome: 'rejected' });
        const said = JSON.stringify([spoiledResult, revoked, world.log.lines]);
        for (const value of [credential.value, ...Object.values(credential.parts ?? {})]) {
          expect(said).not.toContain(value);
        }
      });

      if (!capabilities.revoke) return;

      it('revoke leaves the previous credential to a human, naming no value', async () => {
        const current = await currentOf();
        if (!current) throw new Error(`${name}: seed must put a current credential into Key Vault`);
        const result = await env.provider.revoke!(ctx, {
          credentialId: current.credentialId,
          version: current.version,
        });
        expect(result.revoked).toEqual([]);
        expect(result.pendingHuman.length).toBeGreaterThan(0);
        expect(result.pendingHuman.join(' ')).toContain(current.version);
        expect(JSON.stringify(result)).not.toContain(current.value);
      });
    }

    it('issues a new credential without breaking the current one', async () => {
      const current = await currentOf();
      const issued = await issueOne();
      expect(issued.value.length).toBeGreaterThan(0);
      expect(issued.credentialId.length).toBeGreaterThan(0);
      expect(issued.credentialId).not.toContain(issued.value);
      expect(issued.value).not.toBe(current?.value);
      if (current)
        expect(await env.isLive(world, group, { ...current, credentialId: current.credentialId ?? '' })).toBe(
          true,
        );
    });

    it('validates what it issued and rejects a spoiled credential', async () => {
      const issued = await issueOne();
      expect(await env.provider.validate(ctx, issued)).toEqual({ ok: true });
      const spoiled = (env.spoil ?? tamper)(issued);
      expect(await env.provider.validate(ctx, spoiled)).toMatchObject({ ok: false, outcome: 'rejected' });
    });

    if (capabilities.retrieve) {
      it('retrieves an issued credential', async () => {
        const issued = await issueOne();
        const retrieved = await env.provider.retrieve!(ctx, issued.credentialId);
        expect(retrieved?.value).toBe(issued.value);
      });
    }

    it('promotes through the engine: every secret of the group gets the same working credential', async () => {
      const outcome = await enqueueRotation(
        world.deps,
        runRequest(world, { vault: group.vault, secret: 'contract-a' }),
      );
      expect(outcome.kind).toBe('run');
      const [run] = await world.drain();
      expect(run?.status).toBe('done');
      const a = world.store.peek(group.vault, 'contract-a')!;
      const b = world.store.peek(group.vault, 'contract-b')!;
      expect(b.value).toBe(a.value);
      expect(a.tags.RotationId).toBe(run!.id);
      expect(a.tags.CredentialId).toBe(run!.credentialId);
      expect(await env.isLive(world, group, { value: a.value, credentialId: run!.credentialId! })).toBe(true);
      const leaked = JSON.stringify([world.journal.writes, world.notifier.alerts, world.log.lines]);
      expect(leaked).not.toContain(a.value);
    });

    if (!capabilities.revoke) return;

    it('revokes the previous credential on compromise', async () => {
      const before = await currentOf();
      await enqueueRotation(
        world.deps,
        runRequest(world, {
          vault: group.vault,
          secret: 'contract-a',
          compromised: true,
          trigger: { kind: 'http' },
        }),
      );
      const [run] = await world.drain();
      expect(run?.status).toBe('revoked');
      expect(run?.revoked.length).toBeGreaterThan(0);
      const now = world.store.peek(group.vault, 'contract-a')!;
      expect(await env.isLive(world, group, { value: now.value, credentialId: run!.credentialId! })).toBe(
        true,
      );
      if (before) {
        const previous = { value: before.value, credentialId: before.credentialId ?? '' };
        expect(await env.isLive(world, group, previous)).toBe(false);
      }
    });
  });
}
