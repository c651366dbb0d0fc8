import { describe, expect, it } from 'vitest';
import {
  parseConnectionString,
  scrubMongoText,
  srvTargetProblem,
  toSeedListUri,
} from './connection-string.js';

describe('parseConnectionString', () => {
  it('parses mongodb:// seed lists and mongodb+srv hosts, decoding the credentials', () => {
    const plain = parseConnectionString(
      'mongodb://app%40corp:p%3Ass%2Fw@db1.example.com:27017,[::1]:27018,10.0.0.5/orders?replicaSet=rs0&authSource=admin',
    );
    expect(plain).toMatchObject({
      ok: true,
      value: {
        srv: false,
        username: 'app@corp',
        password: 'p:ss/w',
        hosts: [
          { host: 'db1.example.com', port: 27017 },
          { host: '[::1]', port: 27018 },
          { host: '10.0.0.5' },
        ],
        rawPath: 'orders',
      },
    });
    const srv = parseConnectionString(
      'mongodb+srv://app:pw@cluster0.ab1cd.mongodb.net/?retryWrites=true&w=majority',
    );
    expect(srv).toMatchObject({
      ok: true,
      value: { srv: true, hosts: [{ host: 'cluster0.ab1cd.mongodb.net' }] },
    });
  });

  it.each([
    ['', 'empty'],
    [' mongodb://a:b@h', 'whitespace'],
    ['postgres://a:b@h/db', 'must start with mongodb:// or mongodb+srv://'],
    ['mongodb:/a:b@h', 'must start with'],
    ['mongodb://db.example.com:27017/app', 'no credentials'],
    ['mongodb://app@db.example.com', 'no password'],
    ['mongodb://:pw@db.example.com', 'user name is empty'],
    ['mongodb://app:@db.example.com', 'password is empty'],
    ['mongodb://app:p@ss@db.example.com', 'password contains characters that must be percent-encoded'],
    ['mongodb://app:p/ss@db.example.com', 'password contains characters that must be percent-encoded'],
    ['mongodb://app:p%zzss@db.example.com', 'malformed percent-encoding'],
    ['mongodb://app:pw@', 'names no host'],
    ['mongodb://app:pw@db1,,db2', 'empty entry'],
    ['mongodb://app:pw@db1:99999', 'port that is not a number from 1 to 65535'],
    ['mongodb://app:pw@db1:abc', 'port that is not a number'],
    ['mongodb://app:pw@db_ex ample.com', 'not a host name or address'],
    ['mongodb://app:pw@[::1', 'closing bracket'],
    ['mongodb://app:pw@%2Ftmp%2Fmongodb-27017.sock', 'Unix domain sockets'],
    ['mongodb+srv://app:pw@cluster0.example.net:27017', 'without a port'],
    ['mongodb+srv://app:pw@a.example.net,b.example.net', 'exactly one host'],
    ['mongodb+srv://app:pw@10.1.2.3', 'not an IP address'],
    ['mongodb://app:pw@db1/?srvMaxHosts=2', 'only applies to mongodb+srv'],
    ['mongodb://app:pw@db1/?authMechanism=MONGODB-X509', 'no password to rotate'],
  ])('refuses %j clearly (%s)', (value, problem) => {
    const result = parseConnectionString(value);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problem).toContain(problem);
      if (value.includes('p@ss')) expect(result.problem).not.toContain('p@ss');
    }
  });
});

describe('mongodb+srv resolution helpers', () => {
  it('builds the seed-list string the driver would: tls on, TXT options unless set, SRV options dropped', () => {
    const parsed = parseConnectionString(
      'mongodb+srv://app:p%40w@cluster0.ab1cd.mongodb.net/shop?retryWrites=true&srvMaxHosts=2&authSource=custom',
    );
    if (!parsed.ok) throw new Error(parsed.problem);
    const uri = toSeedListUri(parsed.value, {
      hosts: [
        { name: 'c0-shard-00-00.ab1cd.mongodb.net.', port: 27017 },
        { name: 'c0-shard-00-01.ab1cd.mongodb.net', port: 27017 },
        { name: 'c0-shard-00-02.ab1cd.mongodb.net', port: 27017 },
      ],
      txt: new URLSearchParams('authSource=admin&replicaSet=atlas-xyz-shard-0'),
    });
    expect(uri).toBe(
      'mongodb://app:p%40w@c0-shard-00-00.ab1cd.mongodb.net:27017,c0-shard-00-01.ab1cd.mongodb.net:27017/shop' +
        '?retryWrites=true&authSource=custom&tls=true&replicaSet=atlas-xyz-shard-0',
    );
  });

  it('keeps SRV targets inside the host’s domain, as the driver does', () => {
    expect(srvTargetProblem('cluster0.ab1cd.mongodb.net', 'shard-0.ab1cd.mongodb.net')).toBeUndefined();
    expect(srvTargetProblem('cluster0.ab1cd.mongodb.net', 'evil.example.com')).toContain(
      'outside the domain',
    );
    expect(srvTargetProblem('cluster0.ab1cd.mongodb.net', 'x.fake-ab1cd.mongodb.net')).toContain('outside');
    expect(srvTargetProblem('example.test', 'node.example.test')).toBeUndefined();
    expect(srvTargetProblem('example.test', 'example.test')).toContain('no more domain levels');
  });

  it('scrubs URIs with credentials and every form of the secrets from driver text', () => {
    const text =
      'connection to mongodb://app:S3cr%2Ft@db1:27017/?tls=true failed; mongodb+srv://x:y@c.example.net; S3cr/t';
    const scrubbed = scrubMongoText(text, ['S3cr/t']);
    expect(scrubbed).toBe(
      'connection to mongodb://[redacted]@db1:27017/?tls=true failed; mongodb://[redacted]@c.example.net; [redacted]',
    );
  });
});
