import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { enqueueRotation } from '../../rotation/engine/enqueue.js';
import { bindProvider } from '../../rotation/engine/provider.js';
import { FakeWorld, fakeGroup, runRequest } from '../../rotation/fakes/world.js';
import type { CredentialGroup, ProviderContext } from '../../rotation/ports.js';
import { describeProviderContract } from '../contract.js';
import {
  disableExpiredJwtVersions,
  generateSigningSecret,
  jwtSecretProvider,
  jwtSecretSettings,
  newKid,
  signingKey,
} from './index.js';

const DAY = 86_400_000;

function seedJwt(world: FakeWorld, group: CredentialGroup): void {
  const settings = jwtSecretSettings.parse(group.settings);
  const value = generateSigningSecret(settings);
  const kid = newKid();
  for (const secret of group.secrets) {
    world.store.seed(group.vault, secret.name, { value, tags: { CredentialId: kid, team: 'auth' } });
  }
}

/** A JWT secret works while some enabled version of the group's first secret holds it. */
async function isLive(world: FakeWorld, group: CredentialGroup, credential: { value: string }) {
  return world.store
    .versions(group.vault, group.secrets[0]!.name)
    .some((v) => v.enabled && v.value === credential.value);
}

describeProviderContract('jwt-secret', { mode: 'automatic', retrieve: false, revoke: true }, () => ({
  provider: jwtSecretProvider,
  settings: { algorithm: 'HS512', lengthBytes: 64 },
  seed: seedJwt,
  isLive,
  spoil: (credential) => ({ ...credential, value: credential.value.slice(0, 10) }),
}));

function setup(settings: Record<string, unknown> = {}) {
  const world = new FakeWorld({ providers: { 'jwt-secret': jwtSecretProvider } });
  const group = fakeGroup({
    id: 'jwt',
    provider: 'jwt-secret',
    settings,
    secrets: ['jwt-signing', 'jwt-signing-api'],
  });
  world.catalog.update(group);
  const ctx = bindProvider(world.deps, group).ctx as ProviderContext<
    ReturnType<typeof jwtSecretSettings.parse>
  >;
  return { world, group, ctx };
}

describe('jwt-secret settings', () => {
  it('defaults to 64 random bytes, base64url, HS256, 7 grace days', () => {
    expect(jwtSecretSettings.parse({})).toEqual({
      lengthBytes: 64,
      encoding: 'base64url',
      algorithm: 'HS256',
      keyFormat: 'utf8',
      graceDays: 7,
    });
  });

  it('refuses a key shorter than the algorithm needs, and unknown settings', () => {
    const short = jwtSecretSettings.safeParse({ algorithm: 'HS512', lengthBytes: 48 });
    expect(short.success).toBe(false);
    expect(short.error?.issues[0]).toMatchObject({ path: ['lengthBytes'] });
    expect(jwtSecretSettings.safeParse({ lenght: 64 }).success).toBe(false);
  });
});

describe('jwt-secret issue and validate', () => {
  it.each([
    ['base64url', /^[A-Za-z0-9_-]{86}$/],
    ['base64', /^[A-Za-z0-9+/]{86}==$/],
    ['hex', /^[0-9a-f]{128}$/],
  ] as const)('generates %s secrets of the configured length and a url-safe kid', async (encoding, shape) => {
    const { ctx } = setup({ encoding });
    const a = await jwtSecretProvider.issue(ctx, undefined);
    const b = await jwtSecretProvider.issue(ctx, undefined);
    if (a.kind !== 'issued' || b.kind !== 'issued') throw new Error('expected issued');
    expect(a.credential.value).toMatch(shape);
    expect(a.credential.value).not.toBe(b.credential.value);
    expect(a.credential.credentialId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a.credential.credentialId).not.toBe(b.credential.credentialId);
    expect(await jwtSecretProvider.validate(ctx, a.credential)).toEqual({ ok: true });
  });

  it('signs with the configured algorithm and kid, with a key a consumer derives the same way', async () => {
    const { ctx } = setup({ algorithm: 'HS384', keyFormat: 'decoded', encoding: 'hex', lengthBytes: 48 });
    const issued = await jwtSecretProvider.issue(ctx, undefined);
    if (issued.kind !== 'issued') throw new Error('expected issued');
    const key = signingKey(issued.credential.value, ctx.settings);
    if (!(key instanceof Uint8Array)) throw new Error(key.problem);
    expect(key.byteLength).toBe(48);
    const token = await new SignJWT({ sub: 'consumer' })
      .setProtectedHeader({ alg: 'HS384', kid: issued.credential.credentialId })
      .sign(key);
    expect(decodeProtectedHeader(token).kid).toBe(issued.credential.credentialId);
    await expect(jwtVerify(token, key, { algorithms: ['HS384'] })).resolves.toBeDefined();
  });

  it('rejects a submitted secret that is too short or not in the configured encoding', async () => {
    const { ctx } = setup({ keyFormat: 'decoded', encoding: 'hex' });
    const short = await jwtSecretProvider.validate(ctx, { value: 'ab'.repeat(16 - 1), credentialId: 'k' });
    expect(short).toMatchObject({ ok: false, outcome: 'rejected' });
    const notHex = await jwtSecretProvider.validate(ctx, { value: 'zz'.repeat(64), credentialId: 'k' });
    expect(notHex).toMatchObject({ ok: false, outcome: 'rejected', reason: 'the secret is not valid hex' });
  });

  it('has no retrieve: the secret lives only in Key Vault', () => {
    expect(jwtSecretProvider.retrieve).toBeUndefined();
  });
});

describe('jwt-secret rotation through the engine', () => {
  it('keeps previous versions enabled on a normal rotation, disables them all on compromise', async () => {
    const { world, group } = setup();
    seedJwt(world, group);
    const first = world.store.peek(group.vault, 'jwt-signing')!;
    await enqueueRotation(world.deps, runRequest(world, { vault: group.vault, secret: 'jwt-signing' }));
    const [normal] = await world.drain();
    expect(normal).toMatchObject({ status: 'done', revoked: [] });
    expect(world.store.versions(group.vault, 'jwt-signing').map((v) => v.enabled)).toEqual([true, true]);
    expect(normal!.credentialId).not.toBe(first.tags.CredentialId);

    await enqueueRotation(
      world.deps,
      runRequest(world, {
        vault: group.vault,
        secret: 'jwt-signing',
        compromised: true,
        trigger: { kind: 'http' },
      }),
    );
    const [compromised] = await world.drain();
    expect(compromised?.status).toBe('revoked');
    expect(compromised?.revoked).toEqual([`kid:${first.tags.CredentialId}`, `kid:${normal!.credentialId}`]);
    for (const name of ['jwt-signing', 'jwt-signing-api']) {
      expect(world.store.versions(group.vault, name).map((v) => v.enabled)).toEqual([false, false, true]);
    }
  });
});

describe('disableExpiredJwtVersions', () => {
  it('disables versions whose successor is older than the grace period, never the current one', async () => {
    const { world, group } = setup();
    const t0 = world.clock.now().getTime();
    const at = (days: number) => new Date(t0 + days * DAY);
    for (const secret of group.secrets) {
      world.store.seed(group.vault, secret.name, { value: 'v1'.repeat(40), createdOn: at(0) });
      world.store.seed(group.vault, secret.name, { value: 'v2'.repeat(40), createdOn: at(10) });
      world.store.seed(group.vault, secret.name, { value: 'v3'.repeat(40), createdOn: at(15) });
    }
    // day 20: v1's successor (v2, day 10) is 10 days old > 7 → disable; v2's successor (v3, day 15) is 5 days old → keep
    const disabled = await disableExpiredJwtVersions(world.store, group, at(20), 7);
    expect(disabled.map((d) => d.secret)).toEqual(['jwt-signing', 'jwt-signing-api']);
    expect(world.store.versions(group.vault, 'jwt-signing').map((v) => v.enabled)).toEqual([
      false,
      true,
      true,
    ]);
    // day 100: v2 goes too; v3 is current and stays however old
    await disableExpiredJwtVersions(world.store, group, at(100), 7);
    expect(world.store.versions(group.vault, 'jwt-signing').map((v) => v.enabled)).toEqual([
      false,
      false,
      true,
    ]);
    // nothing left to do: idempotent
    expect(await disableExpiredJwtVersions(world.store, group, at(200), 7)).toEqual([]);
  });

  it('keeps a version exactly at the grace boundary', async () => {
    const { world, group } = setup();
    const t0 = world.clock.now().getTime();
    world.store.seed(group.vault, 'jwt-signing', { value: 'a'.repeat(80), createdOn: new Date(t0) });
    world.store.seed(group.vault, 'jwt-signing', { value: 'b'.repeat(80), createdOn: new Date(t0 + DAY) });
    const disabled = await disableExpiredJwtVersions(
      world.store,
      { vault: group.vault, secrets: [group.secrets[0]!] },
      new Date(t0 + 8 * DAY),
      7,
    );
    expect(disabled).toEqual([]);
  });
});
