/**
 * MongoDB connection strings (`mongodb://` and `mongodb+srv://`), parsed with the rules of the official
 * driver (and its `mongodb-connection-string-url`), but with problems worded for the person who pasted
 * the string: what is wrong, never the string itself. Also: turning a `mongodb+srv` string into the
 * seed-list string the driver would build from DNS (so the rotator resolves SRV/TXT itself, through an
 * injectable resolver), and scrubbing URIs out of driver messages.
 */
import { redactSecrets } from '../openai-compatible/http.js';

export interface MongoHost {
  /** Host name, IPv4 address, or `[IPv6]`. */
  host: string;
  port?: number;
}

export interface MongoConnectionString {
  srv: boolean;
  /** Decoded. */
  username: string;
  /** Decoded; kept only in memory for redaction. */
  password: string;
  hosts: MongoHost[];
  /** `user:password` exactly as written (percent-encoded), for rebuilding the string. */
  rawUserinfo: string;
  /** Path after the host list without the leading `/` (the default database), as written. */
  rawPath: string;
  options: URLSearchParams;
}

export type ParseResult = { ok: true; value: MongoConnectionString } | { ok: false; problem: string };

const ILLEGAL_IN_USERINFO = /[:/?#[\]@]/;
const HOST_NAME =
  /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9]+)?\]$/;
/** Mechanisms without a password to rotate. */
const PASSWORDLESS = new Set(['MONGODB-X509', 'MONGODB-AWS', 'MONGODB-OIDC', 'GSSAPI']);
const SRV_ONLY_OPTIONS = ['srvServiceName', 'srvMaxHosts'];

function fail(problem: string): ParseResult {
  return { ok: false, problem };
}

function decode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    // A malformed %-sequence: the caller reports it in words.
    return undefined;
  }
}

function parseHost(text: string, srv: boolean): MongoHost | string {
  if (text === '') return 'the host list has an empty entry';
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return 'an IPv6 host is missing its closing bracket';
    host = text.slice(0, end + 1);
    const after = text.slice(end + 1);
    if (after !== '' && !after.startsWith(':')) return 'an IPv6 host has text after its closing bracket';
    portText = after === '' ? undefined : after.slice(1);
    if (!IPV6.test(host)) return 'an IPv6 host is not a valid address';
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
    if (host.includes('%') || host.endsWith('.sock'))
      return 'Unix domain sockets cannot be checked from Azure';
    if (!HOST_NAME.test(host)) return 'the host list has an entry that is not a host name or address';
  }
  if (srv && portText !== undefined) return 'a mongodb+srv string names its host without a port';
  if (portText === undefined) return { host };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    return 'the host list has a port that is not a number from 1 to 65535';
  }
  return { host, port: Number(portText) };
}

export function parseConnectionString(value: string): ParseResult {
  if (value.trim() === '') return fail('the connection string is empty');
  if (value.trim() !== value) return fail('the connection string has leading or trailing whitespace');
  const srv = value.startsWith('mongodb+srv://');
  if (!srv && !value.startsWith('mongodb://')) {
    return fail('it must start with mongodb:// or mongodb+srv://');
  }
  const rest = value.slice(srv ? 'mongodb+srv://'.length : 'mongodb://'.length);
  const query = rest.indexOf('?');
  const beforeQuery = query < 0 ? rest : rest.slice(0, query);
  const at = beforeQuery.lastIndexOf('@');
  if (at < 0) {
    return fail('it has no credentials: expected user:password@ before the host (password authentication)');
  }
  const rawUserinfo = beforeQuery.slice(0, at);
  const colon = rawUserinfo.indexOf(':');
  if (colon < 0) return fail('it has a user name but no password (user:password@)');
  const rawUser = rawUserinfo.slice(0, colon);
  const rawPassword = rawUserinfo.slice(colon + 1);
  if (rawUser === '') return fail('the user name is empty');
  if (rawPassword === '') return fail('the password is empty');
  if (ILLEGAL_IN_USERINFO.test(rawUser)) {
    return fail('the user name contains characters that must be percent-encoded (: / ? # [ ] @)');
  }
  if (ILLEGAL_IN_USERINFO.test(rawPassword)) {
    return fail('the password contains characters that must be percent-encoded (: / ? # [ ] @)');
  }
  const username = decode(rawUser);
  const password = decode(rawPassword);
  if (username === undefined) return fail('the user name has a malformed percent-encoding');
  if (password === undefined) return fail('the password has a malformed percent-encoding');

  const hostAndPath = beforeQuery.slice(at + 1);
  const slash = hostAndPath.indexOf('/');
  const hostList = slash < 0 ? hostAndPath : hostAndPath.slice(0, slash);
  const rawPath = slash < 0 ? '' : hostAndPath.slice(slash + 1);
  if (hostList === '') return fail('it names no host');
  const hosts: MongoHost[] = [];
  for (const entry of hostList.split(',')) {
    const parsed = parseHost(entry, srv);
    if (typeof parsed === 'string') return fail(parsed);
    hosts.push(parsed);
  }
  if (srv && hosts.length !== 1) return fail('a mongodb+srv string names exactly one host');
  if (srv && (hosts[0]!.host.startsWith('[') || /^[\d.]+$/.test(hosts[0]!.host))) {
    return fail('a mongodb+srv string names a DNS name, not an IP address');
  }
  if (decode(rawPath) === undefined) return fail('the database name has a malformed percent-encoding');
  if (rawPath.includes('/')) return fail('the database name must not contain /');

  const options = new URLSearchParams(query < 0 ? '' : rest.slice(query + 1));
  const lowerKeys = new Set([...options.keys()].map((k) => k.toLowerCase()));
  for (const name of SRV_ONLY_OPTIONS) {
    if (!srv && lowerKeys.has(name.toLowerCase()))
      return fail(`the ${name} option only applies to mongodb+srv`);
  }
  const mechanism = optionValue(options, 'authMechanism')?.toUpperCase();
  if (mechanism && PASSWORDLESS.has(mechanism)) {
    return fail(`it uses authMechanism=${mechanism}, which has no password to rotate`);
  }
  return { ok: true, value: { srv, username, password, hosts, rawUserinfo, rawPath, options } };
}

/** An option's value, matching its name case-insensitively (as the driver does). */
export function optionValue(options: URLSearchParams, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of options) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function hasOption(options: URLSearchParams, name: string): boolean {
  return optionValue(options, name) !== undefined;
}

/** The seed list a `mongodb+srv` host resolved to, and its TXT options. */
export interface SrvResolution {
  hosts: { name: string; port: number }[];
  /** The single TXT record's options (`authSource`, `replicaSet`, `loadBalanced`), if any. */
  txt?: URLSearchParams;
}

/**
 * The `mongodb://` string the driver would connect with after resolving SRV/TXT: the resolved hosts,
 * `tls=true` unless the string says otherwise, TXT `authSource`/`replicaSet`/`loadBalanced` unless the
 * string sets them, `srvMaxHosts` applied, SRV-only options dropped.
 */
export function toSeedListUri(parsed: MongoConnectionString, resolution: SrvResolution): string {
  const options = new URLSearchParams();
  for (const [key, value] of parsed.options) {
    if (!SRV_ONLY_OPTIONS.some((name) => name.toLowerCase() === key.toLowerCase()))
      options.append(key, value);
  }
  if (!hasOption(options, 'tls') && !hasOption(options, 'ssl')) options.set('tls', 'true');
  for (const name of ['authSource', 'replicaSet', 'loadBalanced']) {
    const fromTxt = resolution.txt ? optionValue(resolution.txt, name) : undefined;
    if (fromTxt !== undefined && !hasOption(options, name)) options.set(name, fromTxt);
  }
  const maxHosts = Number(optionValue(parsed.options, 'srvMaxHosts') ?? '0');
  const hosts = maxHosts > 0 ? resolution.hosts.slice(0, maxHosts) : resolution.hosts;
  const hostList = hosts.map((h) => `${h.name.replace(/\.$/, '')}:${h.port}`).join(',');
  const query = options.toString();
  return `mongodb://${parsed.rawUserinfo}@${hostList}/${parsed.rawPath}${query ? `?${query}` : ''}`;
}

/**
 * The rule the driver applies to SRV answers: every target shares the SRV host's parent domain (for hosts
 * of fewer than three labels, the target has more labels and ends with the host). Returns the problem.
 */
export function srvTargetProblem(srvHost: string, target: string): string | undefined {
  const host = srvHost.toLowerCase().replace(/\.$/, '');
  const name = target.toLowerCase().replace(/\.$/, '');
  const labels = host.split('.');
  const parent = labels.length < 3 ? `.${host}` : `.${labels.slice(1).join('.')}`;
  if (labels.length < 3 && name.split('.').length <= labels.length) {
    return `SRV target ${name} has no more domain levels than ${host}`;
  }
  return `.${name.split('.').slice(1).join('.')}`.endsWith(parent)
    ? undefined
    : `SRV target ${name} is outside the domain of ${host}`;
}

const URI_WITH_USERINFO = /mongodb(?:\+srv)?:\/\/[^\s@/]*@/gi;

/** Removes `mongodb://user:pass@` prefixes and every form of the given secrets from driver text. */
export function scrubMongoText(text: string, secrets: readonly string[]): string {
  return redactSecrets(text.replace(URI_WITH_USERINFO, 'mongodb://[redacted]@'), secrets);
}
