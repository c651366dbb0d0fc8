/**
 * The live half of the MongoDB check: resolve `mongodb+srv` through DNS (SRV + TXT, with the driver's
 * rules, through injectable resolvers), then connect and run `ping` on `admin` with the official driver,
 * loaded on first use (`import('mongodb')`), and reduce whatever the driver throws to code and message —
 * never the URI, which the driver sometimes puts in its messages with the password.
 */
import { promises as dns, type SrvRecord } from 'node:dns';
import type { ValidationResult } from '../../rotation/ports.js';
import { rejected, unavailable } from '../openai-compatible/manual.js';

import {
  type MongoConnectionString,
  optionValue,
  type SrvResolution,
  scrubMongoText,
  srvTargetProblem,
  toSeedListUri,
} from './connection-string.js';

export interface PingOptions {
  serverSelectionTimeoutMS: number;
}

/**
 * What the composition root (and tests) may inject. Defaults: `node:dns` resolvers and the official
 * driver. `loopbackOnly` (local mode) refuses to contact anything but loopback hosts and skips DNS.
 */
export interface MongoDbProviderDeps {
  resolveSrv?(name: string): Promise<SrvRecord[]>;
  resolveTxt?(name: string): Promise<string[][]>;
  /** Connects with `uri` (always `mongodb://`), pings, closes; throws what the driver throws. */
  ping?(uri: string, options: PingOptions): Promise<void>;
  loopbackOnly?: boolean;
}

/** The official driver's check: connect, `ping` on `admin`, close. */
export async function driverPing(uri: string, options: PingOptions): Promise<void> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS,
    connectTimeoutMS: options.serverSelectionTimeoutMS,
    appName: 'key-vault-rotator',
    maxPoolSize: 1,
    retryReads: false,
    retryWrites: false,
  });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } finally {
    // A failed close after the verdict changes nothing; the verdict is what counts.
    await Promise.allSettled([client.close()]);
  }
}

function dnsCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'DNS error';
}

/** Resolves SRV (+ TXT) like the driver; returns the seed-list URI or why it could not. */
export async function resolveSrvUri(
  parsed: MongoConnectionString,
  deps: MongoDbProviderDeps,
): Promise<{ uri: string } | { result: ValidationResult }> {
  const host = parsed.hosts[0]!.host;
  const service = optionValue(parsed.options, 'srvServiceName') ?? 'mongodb';
  const name = `_${service}._tcp.${host}`;
  if (deps.loopbackOnly && !deps.resolveSrv) {
    return {
      result: unavailable(
        `mongodb+srv needs a DNS SRV lookup of ${name}, which local mode does not do; use a mongodb:// string to a loopback server`,
      ),
    };
  }
  const resolveSrv = deps.resolveSrv ?? ((n: string) => dns.resolveSrv(n));
  const resolveTxt = deps.resolveTxt ?? ((n: string) => dns.resolveTxt(n));
  let records: SrvRecord[];
  try {
    records = await resolveSrv(name);
  } catch (error) {
    return {
      result: unavailable(
        `could not resolve the DNS SRV record ${name} (${dnsCode(error)}); mongodb+srv needs DNS from the rotator`,
      ),
    };
  }
  if (records.length === 0) return { result: unavailable(`the DNS SRV record ${name} lists no servers`) };
  for (const record of records) {
    const problem = srvTargetProblem(host, record.name);
    if (problem) return { result: unavailable(`${problem}; refusing to connect`) };
  }
  const resolution: SrvResolution = { hosts: records.map((r) => ({ name: r.name, port: r.port || 27017 })) };
  try {
    const txt = await resolveTxt(host);
    if (txt.length > 1) return { result: unavailable(`${host} has more than one DNS TXT record`) };
    if (txt[0]) resolution.txt = new URLSearchParams(txt[0].join(''));
  } catch (error) {
    const code = dnsCode(error);
    if (code !== 'ENODATA' && code !== 'ENOTFOUND') {
      return { result: unavailable(`could not resolve the DNS TXT record of ${host} (${code})`) };
    }
  }
  return { uri: toSeedListUri(parsed, resolution) };
}

const NETWORK_ERRORS = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoServerClosedError',
  'MongoOperationTimeoutError',
]);
const REFUSED_STRING_ERRORS = new Set(['MongoParseError', 'MongoAPIError', 'MongoInvalidArgumentError']);

/**
 * Driver error → validation result, keeping only name, code and a scrubbed message:
 * authentication failures (code 18, Atlas `bad auth` code 8000) → rejected; network and server
 * selection problems → unavailable; the driver refusing the string → rejected; anything else → unavailable.
 */
export function classifyDriverError(error: unknown, secrets: readonly string[]): ValidationResult {
  const e = (error ?? {}) as { name?: unknown; code?: unknown; codeName?: unknown; message?: unknown };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'number' || typeof e.code === 'string' ? String(e.code) : undefined;
  const codeName = typeof e.codeName === 'string' ? e.codeName : undefined;
  const raw = typeof e.message === 'string' ? e.message.split('\n')[0]! : 'unknown error';
  const message = scrubMongoText(raw, secrets).slice(0, 300);
  const label = [name, codeName ?? code].filter(Boolean).join(' ');
  const authFailed =
    code === '18' ||
    codeName === 'AuthenticationFailed' ||
    (code === '8000' && /auth/i.test(raw)) ||
    /authentication failed|bad auth/i.test(raw);
  if (authFailed) return rejected(`MongoDB refused the credentials (${label}: ${message})`);
  if (NETWORK_ERRORS.has(name)) return unavailable(`could not reach MongoDB (${label}: ${message})`);
  if (REFUSED_STRING_ERRORS.has(name)) {
    return rejected(`the MongoDB driver refused the connection string (${label}: ${message})`);
  }
  return unavailable(`MongoDB check failed (${label}: ${message})`);
}
