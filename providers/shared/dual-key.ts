/**
 * Key alternation for Azure resources with two equal keys (Cognitive Services key1/key2, Communication
 * Primary/Secondary). Consumers use one key; a rotation regenerates the *other* one and hands it out, so
 * the key in use keeps working through the whole run and the key before it (the one regenerated) dies.
 *
 * Which key is in use comes from the current value itself (matched against listKeys) and, when the value
 * matches neither key, from the `CredentialId` tag. A value that matches a key always wins over a stale tag:
 * trusting a wrong tag would regenerate the key consumers use right now.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ZodType } from 'zod';
import { ERROR_CODES, RotationError } from '../../rotation/errors.js';
import { type ProviderKind, readTag, TAGS } from '../../rotation/kinds.js';
import type {
  CredentialProvider,
  CurrentCredential,
  IssuedCredential,
  IssueResult,
  ProviderContext,
  RevokeResult,
  ValidationResult,
} from '../../rotation/ports.js';
import { callArm } from './arm-errors.js';
import { type ArmResourceId, armIdProblem, parseArmResourceId } from './arm-id.js';

/** One key of the pair: the raw key and what a secret stores for it (the key or a connection string). */
export interface KeySlot {
  key: string;
  value: string;
}

export interface DualKeySpec<S, N extends string> {
  kind: ProviderKind;
  settingsSchema: ZodType<S>;
  /** `Microsoft.CognitiveServices/accounts`, `Microsoft.Communication/communicationServices`. */
  resourceType: string;
  /** Canonical `CredentialId` values, e.g. `['key1', 'key2']`. */
  keyNames: readonly [N, N];
  /** Lowercase spellings accepted in a `CredentialId` tag, besides the canonical names. */
  aliases?: Record<string, N>;
  /** Sentence naming the role to grant on a 403. */
  roleHint(resourceId: string): string;
  resourceId(settings: S): string;
  listKeys(ctx: ProviderContext<S>, resource: ArmResourceId): Promise<Record<N, KeySlot>>;
  /** Regenerates `name` and returns its new slot. */
  regenerate(ctx: ProviderContext<S>, resource: ArmResourceId, name: N): Promise<KeySlot>;
  /** The raw key inside a stored value (a connection string's `accesskey`; the value itself otherwise). */
  keyOf(value: string): string;
  validate(ctx: ProviderContext<S>, credential: IssuedCredential): Promise<ValidationResult>;
  /** Optional: starts what `validate` will need (e.g. the account's endpoint), see `prepare`. */
  prepareValidation?(ctx: ProviderContext<S>, resource: ArmResourceId): void;
  /**
   * Optional: opens the connection `validate` will use, while the key is regenerated (called just before
   * `regenerate`; never throws, never waits).
   */
  warmValidation?(ctx: ProviderContext<S>, resource: ArmResourceId, current: CurrentCredential): void;
}

/** Constant-time equality of two strings of any length. */
function sameKey(a: string, b: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v.trim()).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function createDualKeyProvider<S, N extends string>(spec: DualKeySpec<S, N>): CredentialProvider<S> {
  const [first, second] = spec.keyNames;
  const expected = spec.keyNames.join('|');

  const normalize = (raw: string | undefined): N | undefined => {
    if (raw === undefined) return undefined;
    const wanted = raw.trim().toLowerCase();
    const canonical = spec.keyNames.find((name) => name.toLowerCase() === wanted);
    return canonical ?? spec.aliases?.[wanted];
  };
  const other = (name: N): N => (name === first ? second : first);

  const resourceOf = (ctx: ProviderContext<S>) =>
    parseArmResourceId(spec.resourceId(ctx.settings), spec.resourceType);

  const arm = <T>(resource: ArmResourceId, operation: string, call: () => Promise<T>) =>
    callArm({ resourceId: resource.id, operation, roleHint: spec.roleHint(resource.id) }, call);

  const listKeys = (ctx: ProviderContext<S>, resource: ArmResourceId) =>
    arm(resource, 'listKeys', () => spec.listKeys(ctx, resource));

  /** Key listings started by `prepare`, taken (once) by the `issue` of the same run attempt. */
  const prepared = new WeakMap<ProviderContext<S>, Promise<Record<N, KeySlot>>>();

  const match = (keys: Record<N, KeySlot>, value: string): N | undefined => {
    const key = spec.keyOf(value);
    return spec.keyNames.find((name) => sameKey(keys[name].key, key));
  };

  const issued = (resource: ArmResourceId, name: N, slot: KeySlot): IssuedCredential => ({
    value: slot.value,
    credentialId: name,
    providerAddress: resource.id,
  });

  /** Which key consumers use now, or a clear error when it cannot be told safely. */
  const keyInUse = (
    ctx: ProviderContext<S>,
    resource: ArmResourceId,
    keys: Record<N, KeySlot>,
    current: CurrentCredential,
  ): N => {
    const byValue = match(keys, current.value);
    const tag = current.credentialId ?? readTag(current.tags, TAGS.credentialId);
    const byTag = normalize(tag);
    if (tag !== undefined && byTag === undefined) {
      ctx.log.warn(`CredentialId tag '${tag}' is not one of ${expected}; ignoring it`, {
        group: ctx.group.id,
        version: current.version,
      });
    }
    if (byValue !== undefined) {
      if (byTag !== undefined && byTag !== byValue) {
        ctx.log.warn(
          `CredentialId tag says ${byTag} but the current value is ${byValue}; keeping ${byValue}`,
          {
            group: ctx.group.id,
            version: current.version,
            resourceId: resource.id,
          },
        );
      }
      return byValue;
    }
    if (byTag !== undefined) {
      ctx.log.warn(
        `the current value matches neither key of ${resource.id}; trusting CredentialId ${byTag}`,
        {
          group: ctx.group.id,
          version: current.version,
        },
      );
      return byTag;
    }
    throw new RotationError(
      ERROR_CODES.credentialRejected,
      `the current value of group '${ctx.group.id}' (version ${current.version}) matches neither key of ` +
        `${resource.id} and has no CredentialId tag; set the CredentialId tag (${expected}) to the key ` +
        'consumers use, or submit a working key, then rotate again',
    );
  };

  const provider: CredentialProvider<S> = {
    kind: spec.kind,
    mode: 'automatic',
    settingsSchema: spec.settingsSchema,
    // A plain rotation leaves the previous key working (consumers that have not reloaded still use it);
    // the next rotation regenerates it. Only a compromise kills it at once.
    revokePolicy: 'on-compromise',

    prepare(ctx) {
      // A bad resource id is reported by `issue`; nothing to start then.
      const id = spec.resourceId(ctx.settings);
      if (armIdProblem(id, spec.resourceType) !== undefined) return;
      const parsed = parseArmResourceId(id, spec.resourceType);
      const listing = listKeys(ctx, parsed);
      listing.catch(() => {}); // awaited (and reported) by `issue`
      prepared.set(ctx, listing);
      spec.prepareValidation?.(ctx, parsed);
    },

    async issue(ctx, current): Promise<IssueResult> {
      const resource = resourceOf(ctx);
      const listing = prepared.get(ctx);
      prepared.delete(ctx);
      if (current === undefined) {
        throw new RotationError(
          ERROR_CODES.badRequest,
          `group '${ctx.group.id}' has no current value in Key Vault, so the key consumers use is unknown; ` +
            `store that key first (with CredentialId ${expected}), then rotate`,
        );
      }
      // Listed while the engine read Key Vault (`prepare`), under the same lease: nobody else regenerates.
      const keys = await (listing ?? listKeys(ctx, resource));
      const keep = keyInUse(ctx, resource, keys, current);
      const target = other(keep);
      ctx.log.info(`regenerating ${target} of ${resource.id}; consumers keep ${keep} meanwhile`, {
        group: ctx.group.id,
      });
      spec.warmValidation?.(ctx, resource, current);
      const slot = await arm(resource, 'regenerateKey', () => spec.regenerate(ctx, resource, target));
      return { kind: 'issued', credential: issued(resource, target, slot) };
    },

    validate(ctx, credential) {
      return spec.validate(ctx, credential);
    },

    async retrieve(ctx, credentialId) {
      const name = normalize(credentialId);
      if (name === undefined) {
        throw new RotationError(
          ERROR_CODES.badRequest,
          `CredentialId '${credentialId}' is not one of ${expected} (${spec.kind})`,
        );
      }
      const resource = resourceOf(ctx);
      const keys = await listKeys(ctx, resource);
      return issued(resource, name, keys[name]);
    },

    async identify(ctx, value) {
      const resource = resourceOf(ctx);
      return match(await listKeys(ctx, resource), value);
    },

    async revoke(ctx, credential): Promise<RevokeResult> {
      const resource = resourceOf(ctx);
      const keys = await listKeys(ctx, resource);
      let name = normalize(credential.credentialId);
      if (name === undefined) {
        const secret = ctx.group.secrets[0];
        const old = secret && (await ctx.secrets.getVersion(secret.vault, secret.name, credential.version));
        name = old ? match(keys, old.value) : undefined;
        if (name === undefined) {
          throw new RotationError(
            ERROR_CODES.badRequest,
            `cannot tell which key of ${resource.id} version ${credential.version} held ` +
              `(no CredentialId and its value matches neither key); nothing was regenerated`,
          );
        }
      }
      // Never kill the key Key Vault serves now, for any secret of the group.
      for (const secret of ctx.group.secrets) {
        const served = await ctx.secrets.getCurrent(secret.vault, secret.name);
        if (served && match(keys, served.value) === name) {
          throw new RotationError(
            ERROR_CODES.badRequest,
            `refusing to revoke ${name} of ${resource.id}: secret '${secret.name}' serves it now ` +
              `(version ${served.version}); rotate first`,
          );
        }
      }
      ctx.log.info(`regenerating ${name} of ${resource.id} so its leaked value stops working`, {
        group: ctx.group.id,
        version: credential.version,
      });
      await arm(resource, 'regenerateKey', () => spec.regenerate(ctx, resource, name));
      return { revoked: [name], pendingHuman: [] };
    },
  };
  return provider;
}
