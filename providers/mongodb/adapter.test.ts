/**
 * No MongoDB server runs here, so: the real driver is exercised against a closed loopback port (the
 * unreachable path); the ok and bad-password paths use a fake Atlas behind the `ping` seam (throwing the
 * driver's own `MongoServerError`); DNS is an injected resolver. Nothing contacts a non-loopback address.
 */
import { randomBytes } from 'node:crypto';
import type { SrvRecord } from 'node:dns';
import { MongoServerError } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeProviderContract } from '../contract.js';
import { closedLoopbackPort, manualContext } from '../openai-compatible/testing.js';
import { leaked } from '../shared/testing.js';
import {
  classifyDriverError,
  createMongoDbProvider,
  MONGODB_ATLAS_URL,
  type MongoDbProviderDeps,
  mongoDbSettingsSchema,
  parseConnectionString,
} from './index.js';

/** A stand-in for Atlas: users with passwords; `ping` accepts exactly those. */
class FakeAtlas {
  private readonly users = new Map<string, string>();
  readonly pinged: string[] = [];

  addUser(user = `app-${randomBytes(3).toString('hex')}`): { user: string; password: string } {
    const password = randomBytes(18).toString('base64url');
    this.users.set(user, password);
    return { user, password };
  }

  dropUser(user: string): void {
    this.users.delete(user);
  }

  readonly ping: NonNullable<MongoDbProviderDeps['ping']> = async (uri) => {
    this.pinged.push(uri);
    const parsed = parseConnectionString(uri);
    if (!parsed.ok) throw new Error(parsed.problem);
    const { username, password } = parsed.value;
    if (this.users.get(username) !== password) {
      throw new MongoServerError({
        ok: 0,
        code: 18,
        codeName: 'AuthenticationFailed',
        errmsg: 'Authentication failed.',
      });
    }
  };
}

let port = 0;
beforeAll(async () => {
  port = await closedLoopbackPort();
});

const uriFor = (c: { user: string; password: string }, host = `127.0.0.1:${port}`) =>
  `mongodb://${c.user}:${encodeURIComponent(c.password)}@${host}/app?authSource=admin&directConnection=true`;
const context = (settings: Record<string, unknown> = {}) =>
  manualContext('mongodb', mongoDbSettingsSchema.parse({ serverSelectionTimeoutMS: 300, ...settings }));
const credential = (value: string) => ({ value, credentialId: 'gen-1' });

describeProviderContract(
  'mongodb',
  { mode: 'manual', retrieve: false, revoke: true, humanMinted: true },
  () => {
    const atlas = new FakeAtlas();
    return {
      provider: createMongoDbProvider({ ping: atlas.ping, loopbackOnly: true }),
      settings: { serverSelectionTimeoutMS: 500 },
      seed: (world, group) => {
        const value = uriFor(atlas.addUser());
        for (const secret of group.secrets) world.store.seed(group.vault, secret.name, { value });
      },
      isLive: async () => false,
      mint: () => credential(uriFor(atlas.addUser())),
      spoil: (c) => {
        const parsed = parseConnectionString(c.value);
        if (!parsed.ok) throw new Error(parsed.problem);
        return credential(uriFor({ user: parsed.value.username, password: `${parsed.value.password}x` }));
      },
      revokeAtProvider: (c) => {
        const parsed = parseConnectionString(c.value);
        if (parsed.ok) atlas.dropUser(parsed.value.username);
      },
    };
  },
);

describe('mongodb validation with the official driver (nothing listens)', () => {
  it('reports an unreachable server as unavailable, without the password or URI', async () => {
    const provider = createMongoDbProvider();
    const { ctx, log } = context();
    const secret = { user: 'app', password: `pw-${randomBytes(12).toString('hex')}` };
    const started = Date.now();
    const result = await provider.validate(ctx, credential(uriFor(secret)));
    expect(result).toMatchObject({
      ok: false,
      outcome: 'unavailable',
      reason: expect.stringContaining('could not reach MongoDB (MongoServerSelectionError'),
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(leaked([result, log.lines], [secret.password, uriFor(secret)])).toEqual([]);
  });

  it('contacts only loopback servers in local mode', async () => {
    const atlas = new FakeAtlas();
    const provider = createMongoDbProvider({ ping: atlas.ping, loopbackOnly: true });
    const result = await provider.validate(
      context().ctx,
      credential(uriFor(atlas.addUser(), 'db1.example.com:27017')),
    );
    expect(result).toMatchObject({
      outcome: 'unavailable',
      reason: expect.stringContaining('only contacts'),
    });
    expect(atlas.pinged).toEqual([]);
  });
});

describe('mongodb validation through the ping seam', () => {
  it('accepts a working user, rejects a wrong password with the driver’s code, never echoing it', async () => {
    const atlas = new FakeAtlas();
    const provider = createMongoDbProvider({ ping: atlas.ping });
    const { ctx, log } = context();
    const good = atlas.addUser();
    expect(await provider.validate(ctx, credential(uriFor(good)))).toEqual({ ok: true });
    const wrong = { user: good.user, password: `${good.password}-old` };
    const result = await provider.validate(ctx, credential(uriFor(wrong)));
    expect(result).toMatchObject({
      ok: false,
      outcome: 'rejected',
      reason: expect.stringContaining('MongoServerError AuthenticationFailed'),
    });
    expect(leaked([result, log.lines], [wrong.password, encodeURIComponent(wrong.password)])).toEqual([]);
  });

  it('refuses malformed strings before any connection', async () => {
    const atlas = new FakeAtlas();
    const provider = createMongoDbProvider({ ping: atlas.ping });
    for (const value of ['mongodb://127.0.0.1:27017/app', 'https://u:p@h', 'mongodb://u:p@ss@127.0.0.1']) {
      expect(await provider.validate(context().ctx, credential(value))).toMatchObject({
        outcome: 'rejected',
        reason: expect.stringContaining('malformed MongoDB connection string'),
      });
    }
    expect(atlas.pinged).toEqual([]);
  });

  it('with liveCheck off checks the format only, and says so in the log', async () => {
    const atlas = new FakeAtlas();
    const provider = createMongoDbProvider({ ping: atlas.ping });
    const { ctx, log } = context({ liveCheck: false });
    expect(await provider.validate(ctx, credential(uriFor({ user: 'u', password: 'whatever' })))).toEqual({
      ok: true,
    });
    expect(atlas.pinged).toEqual([]);
    expect(log.lines.map((l) => l.message)).toContain(
      'mongodb: liveCheck is off; only the connection string format was checked',
    );
  });
});

describe('mongodb+srv through an injected resolver', () => {
  const srvUri = (c: { user: string; password: string }) =>
    `mongodb+srv://${c.user}:${encodeURIComponent(c.password)}@cluster0.ab1cd.example.test/app?retryWrites=true`;
  const records = (...names: string[]): SrvRecord[] =>
    names.map((name) => ({ name, port: 27017, priority: 0, weight: 0 }));

  it('reports an SRV record that does not resolve as unavailable, naming the record', async () => {
    const atlas = new FakeAtlas();
    const provider = createMongoDbProvider({
      ping: atlas.ping,
      resolveSrv: async () => {
        throw Object.assign(new Error('querySrv ENOTFOUND'), { code: 'ENOTFOUND' });
      },
      resolveTxt: async () => [],
    });
    const result = await provider.validate(context().ctx, credential(srvUri(atlas.addUser())));
    expect(result).toEqual({
      ok: false,
      outcome: 'unavailable',
      reason:
        'could not resolve the DNS SRV record _mongodb._tcp.cluster0.ab1cd.example.test (ENOTFOUND); mongodb+srv needs DNS from the rotator',
    });
    expect(atlas.pinged).toEqual([]);
  });

  it('does no DNS at all in local mode unless a resolver is given', async () => {
    const atlas = new FakeAtlas();
    const provider = createMongoDbProvider({ ping: atlas.ping, loopbackOnly: true });
    const result = await provider.validate(context().ctx, credential(srvUri(atlas.addUser())));
    expect(result).toMatchObject({
      outcome: 'unavailable',
      reason: expect.stringContaining('local mode does not do'),
    });
  });

  it('connects to the resolved seed list with tls and the TXT options', async () => {
    const atlas = new FakeAtlas();
    const looked: string[] = [];
    const provider = createMongoDbProvider({
      ping: atlas.ping,
      resolveSrv: async (name) => {
        looked.push(name);
        return records('shard-00.ab1cd.example.test', 'shard-01.ab1cd.example.test');
      },
      resolveTxt: async () => [['authSource=admin&replicaSet=atlas-0']],
    });
    const user = atlas.addUser();
    expect(await provider.validate(context().ctx, credential(srvUri(user)))).toEqual({ ok: true });
    expect(looked).toEqual(['_mongodb._tcp.cluster0.ab1cd.example.test']);
    expect(atlas.pinged[0]).toBe(
      `mongodb://${user.user}:${encodeURIComponent(user.password)}@shard-00.ab1cd.example.test:27017,` +
        'shard-01.ab1cd.example.test:27017/app?retryWrites=true&tls=true&authSource=admin&replicaSet=atlas-0',
    );
  });

  it('refuses SRV targets outside the cluster’s domain', async () => {
    const atlas = new FakeAtlas();
    const provider = createMongoDbProvider({
      ping: atlas.ping,
      resolveSrv: async () => records('evil.attacker.test'),
      resolveTxt: async () => [],
    });
    const result = await provider.validate(context().ctx, credential(srvUri(atlas.addUser())));
    expect(result).toMatchObject({
      outcome: 'unavailable',
      reason: expect.stringContaining('outside the domain'),
    });
    expect(atlas.pinged).toEqual([]);
  });
});

describe('classifyDriverError', () => {
  it('strips URIs with credentials from driver messages', () => {
    const error = Object.assign(
      new Error('failed to connect to mongodb://app:Hunter2pw@db1:27017 (timed out)'),
      {
        name: 'MongoNetworkError',
      },
    );
    const result = classifyDriverError(error, ['Hunter2pw']);
    expect(result).toMatchObject({ outcome: 'unavailable' });
    expect(JSON.stringify(result)).not.toContain('Hunter2pw');
    expect(JSON.stringify(result)).toContain('mongodb://[redacted]@db1:27017');
  });

  it('reads Atlas “bad auth” as rejected and a driver parse refusal as rejected', () => {
    const atlas = new MongoServerError({
      ok: 0,
      code: 8000,
      codeName: 'AtlasError',
      errmsg: 'bad auth : authentication failed',
    });
    expect(classifyDriverError(atlas, [])).toMatchObject({ outcome: 'rejected' });
    const parse = Object.assign(new Error('option tlsx is not supported'), { name: 'MongoParseError' });
    expect(classifyDriverError(parse, [])).toMatchObject({ outcome: 'rejected' });
    expect(classifyDriverError(new TypeError('x'), [])).toMatchObject({ outcome: 'unavailable' });
  });
});

describe('mongodb manual steps', () => {
  it('points at Atlas Database Access, names the current user, never the password', async () => {
    const provider = createMongoDbProvider();
    const current = { user: 'app-a', password: randomBytes(12).toString('hex') };
    const result = await provider.issue(context().ctx, {
      value: uriFor(current),
      version: 'v1',
      credentialId: 'gen-1',
      tags: {},
    });
    expect(result).toMatchObject({ kind: 'manual', dashboardUrl: MONGODB_ATLAS_URL });
    const text = result.kind === 'manual' ? result.instructions : '';
    for (const needle of [
      'Database Access',
      'Add New Database User',
      'Edit Password',
      "user 'app-a'",
      'percent-encoding',
    ]) {
      expect(text).toContain(needle);
    }
    expect(leaked(result, [current.password])).toEqual([]);
  });

  it('revoke: delete the old user when the new string has another, confirm the change when it is the same', async () => {
    const provider = createMongoDbProvider();
    const { ctx, store } = context();
    const a = { user: 'app-a', password: randomBytes(12).toString('hex') };
    const b = { user: 'app-b', password: randomBytes(12).toString('hex') };
    const oldVersion = store.seed(ctx.group.vault, 'app-key', { value: uriFor(a) });
    store.seed(ctx.group.vault, 'app-key', { value: uriFor(b) });
    const other = await provider.revoke!(ctx, { credentialId: 'gen-1', version: oldVersion.version });
    expect(other.revoked).toEqual([]);
    expect(other.pendingHuman[0]).toContain(`delete MongoDB database user 'app-a' on 127.0.0.1`);

    store.seed(ctx.group.vault, 'app-key', { value: uriFor({ user: 'app-a', password: 'newer-password' }) });
    const same = await provider.revoke!(ctx, { credentialId: 'gen-1', version: oldVersion.version });
    expect(same.pendingHuman[0]).toContain(`old password of MongoDB user 'app-a'`);
    expect(leaked([other, same], [a.password, b.password])).toEqual([]);
  });
});
