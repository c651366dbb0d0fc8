/**
 * `rotator doctor`'s checks: read-only probes that tell whether a rotation would have what it needs —
 * storage, each vault's list/get/set rights, each provider resource with the rights rotation uses,
 * consumers' and channels' settings. Each finding says what is wrong and the role or setting that fixes it.
 *
 * Key Vault's `set` right is probed without writing: updating a version that cannot exist answers 404
 * when the caller may write secrets and 403 when it may not (Key Vault authorises before it looks up).
 */
import type { RotatorApp } from '../../composition/app.js';
import { describeError, isRotationError } from '../../rotation/errors.js';
import { readTag, TAGS } from '../../rotation/kinds.js';
import type { CredentialGroup, ProviderContext, SecretVersionProperties } from '../../rotation/ports.js';
import { fixFor } from './fixes.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';
export type CheckArea = 'config' | 'storage' | 'vault' | 'provider' | 'consumer' | 'channel' | 'sweep';

export interface CheckResult {
  area: CheckArea;
  target: string;
  status: CheckStatus;
  message: string;
  fix?: string;
}

export interface DoctorOptions {
  /** Opens (and closes) a TCP connection; rejects when the host cannot be reached. */
  connect(host: string, port: number): Promise<void>;
}

/** A secret name and version that never exist (versions are 32 hex characters). */
export const PROBE_SECRET = 'rotator-doctor-probe';
export const PROBE_VERSION = '00000000000000000000000000000000';

type Listings = Map<string, SecretVersionProperties[] | undefined>;

function result(
  area: CheckArea,
  target: string,
  status: CheckStatus,
  message: string,
  fix?: string,
): CheckResult {
  return { area, target, status, message, ...(fix ? { fix } : {}) };
}

function failure(
  area: CheckArea,
  target: string,
  what: string,
  error: unknown,
  context: Record<string, string> = {},
): CheckResult {
  const { code, message } = describeError(error);
  return result(
    area,
    target,
    'fail',
    `${what}: ${code}: ${message}`,
    fixFor(area, code, { ...context, message }),
  );
}

export async function checkStorage(app: RotatorApp): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  try {
    for await (const _run of app.engine.journal.list({ since: app.engine.clock.now() })) break;
    out.push(result('storage', 'journal', 'ok', 'run journal (table rotationruns) readable'));
  } catch (error) {
    out.push(failure('storage', 'journal', 'cannot read the run journal', error));
  }
  if (app.heartbeat) {
    try {
      const beat = await app.heartbeat.latest();
      const now = app.engine.clock.now().getTime();
      if (!beat)
        out.push(
          result('sweep', 'heartbeat', 'warn', 'no daily sweep recorded yet', fixFor('sweep', 'NoSweep', {})),
        );
      else if (now - Date.parse(beat.finishedAt) > 26 * 3_600_000) {
        out.push(
          result(
            'sweep',
            'heartbeat',
            'warn',
            `last sweep finished ${beat.finishedAt} (over a day ago)`,
            fixFor('sweep', 'NoSweep', {}),
          ),
        );
      } else out.push(result('sweep', 'heartbeat', 'ok', `last sweep ${beat.finishedAt}: ${beat.outcome}`));
    } catch (error) {
      out.push(failure('sweep', 'heartbeat', 'cannot read the sweep heartbeat', error));
    }
  }
  return out;
}

export async function listVaults(app: RotatorApp): Promise<{ listings: Listings; results: CheckResult[] }> {
  const listings: Listings = new Map();
  const results: CheckResult[] = [];
  for (const { name: vault } of app.config.vaults) {
    try {
      const secrets: SecretVersionProperties[] = [];
      for await (const p of app.engine.store.listSecrets(vault)) secrets.push(p);
      listings.set(vault, secrets);
      results.push(result('vault', vault, 'ok', `list: ${secrets.length} secret(s)`));
    } catch (error) {
      listings.set(vault, undefined);
      results.push(failure('vault', vault, 'list', error, { vault }));
    }
  }
  return { listings, results };
}

export async function checkVaultRights(app: RotatorApp, listings: Listings): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const { name: vault } of app.config.vaults) {
    const secrets = listings.get(vault);
    const managed = secrets?.find(
      (p) => app.config.resolveSecret(vault, p.name, p.tags) !== undefined && p.enabled,
    );
    if (!managed) {
      out.push(result('vault', vault, 'skip', 'get: no enabled managed secret to read'));
    } else {
      try {
        await app.engine.store.getCurrent(vault, managed.name);
        out.push(result('vault', vault, 'ok', `get: read ${managed.name}`));
      } catch (error) {
        out.push(failure('vault', vault, `get ${managed.name}`, error, { vault }));
      }
    }
    try {
      await app.engine.store.updateVersion(vault, PROBE_SECRET, PROBE_VERSION, {});
      out.push(result('vault', vault, 'ok', 'set: allowed'));
    } catch (error) {
      if (isRotationError(error, 'SecretNotFound') || isRotationError(error, 'ResourceNotFound')) {
        out.push(result('vault', vault, 'ok', 'set: allowed (probed without writing)'));
      } else out.push(failure('vault', vault, 'set', error, { vault }));
    }
  }
  return out;
}

/** Every group to check: the configured ones, plus those inferred from rotation tags in the listings. */
export function groupsToCheck(app: RotatorApp, listings: Listings): CredentialGroup[] {
  const groups = new Map(app.config.groups.map((g) => [`${g.vault}/${g.id}`, g]));
  for (const [vault, secrets] of listings) {
    for (const p of secrets ?? []) {
      const resolved = app.config.resolveSecret(vault, p.name, p.tags);
      if (resolved && !groups.has(`${resolved.group.vault}/${resolved.group.id}`)) {
        groups.set(`${resolved.group.vault}/${resolved.group.id}`, resolved.group);
      }
    }
  }
  return [...groups.values()];
}

export async function checkGroup(
  app: RotatorApp,
  group: CredentialGroup,
  listings: Listings,
): Promise<CheckResult[]> {
  const target = `${group.vault}/${group.id}`;
  const context = {
    kind: group.provider,
    resourceId: String(group.settings.resourceId ?? ''),
    vault: group.vault,
  };
  const provider = app.engine.providers[group.provider];
  if (!provider)
    return [
      result(
        'provider',
        target,
        'fail',
        `${group.provider}: no adapter in this build`,
        fixFor('provider', 'ProviderNotImplemented', context),
      ),
    ];
  const parsed = provider.settingsSchema.safeParse(group.settings);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`)
      .join('; ');
    return [
      result(
        'provider',
        target,
        'fail',
        `${group.provider} settings: ${issues}`,
        fixFor('provider', 'SettingsInvalid', context),
      ),
    ];
  }
  const out: CheckResult[] = [];
  const listed = listings.get(group.vault);
  const present = group.secrets.filter((s) =>
    listed?.some((p) => p.name.toLowerCase() === s.name.toLowerCase()),
  );
  for (const s of group.secrets) {
    if (listed && !present.includes(s)) {
      out.push(
        result(
          'provider',
          target,
          'warn',
          `secret ${s.name} does not exist yet (the first rotation creates it)`,
          fixFor('provider', 'SecretNotFound', context),
        ),
      );
    }
  }
  const first = present[0];
  if (!first)
    return [
      ...out,
      result('provider', target, 'skip', `${group.provider}: nothing to probe without a current version`),
    ];
  let current: Awaited<ReturnType<typeof app.engine.store.getCurrent>>;
  try {
    current = await app.engine.store.getCurrent(group.vault, first.name);
  } catch (error) {
    return [...out, failure('provider', target, `read ${first.name}`, error, context)];
  }
  if (!current) return [...out, result('provider', target, 'skip', `${first.name} has no current version`)];
  const ctx: ProviderContext<unknown> = {
    group,
    settings: parsed.data,
    clock: app.engine.clock,
    log: app.log,
    secrets: app.engine.store,
  };
  const credentialId = readTag(current.tags, TAGS.credentialId);
  try {
    if (provider.identify) {
      const id = await provider.identify(ctx, current.value);
      out.push(
        id
          ? result(
              'provider',
              target,
              'ok',
              `${group.provider}: resource reachable with the rights rotation needs; current key is ${id}`,
            )
          : result(
              'provider',
              target,
              'warn',
              `${group.provider}: reachable, but the current value is not one of the resource's keys`,
              fixFor('provider', 'UnknownKey', context),
            ),
      );
    } else {
      const verdict = await provider.validate(ctx, {
        value: current.value,
        credentialId: credentialId ?? 'current',
      });
      if (verdict.ok)
        out.push(result('provider', target, 'ok', `${group.provider}: the current credential works`));
      else if (verdict.outcome === 'unavailable')
        out.push(
          result(
            'provider',
            target,
            'warn',
            `${group.provider}: could not check (${verdict.reason})`,
            fixFor('provider', 'ProviderUnavailable', context),
          ),
        );
      else
        out.push(
          result(
            'provider',
            target,
            'fail',
            `${group.provider}: the current credential is rejected (${verdict.reason})`,
            fixFor('provider', 'CredentialRejected', context),
          ),
        );
    }
  } catch (error) {
    out.push(failure('provider', target, group.provider, error, context));
  }
  return out;
}

/** `{ secretRef, vault? }` values anywhere in a consumer or channel config. */
export function secretRefsOf(
  value: unknown,
  defaultVault: string | undefined,
): { name: string; vault: string | undefined }[] {
  if (Array.isArray(value)) return value.flatMap((v) => secretRefsOf(v, defaultVault));
  if (value === null || typeof value !== 'object') return [];
  const record = value as Record<string, unknown>;
  if (typeof record.secretRef === 'string') {
    return [
      { name: record.secretRef, vault: typeof record.vault === 'string' ? record.vault : defaultVault },
    ];
  }
  return Object.values(record).flatMap((v) => secretRefsOf(v, defaultVault));
}

function refProblems(
  area: CheckArea,
  name: string,
  config: unknown,
  app: RotatorApp,
  listings: Listings,
): CheckResult[] {
  const out: CheckResult[] = [];
  for (const ref of secretRefsOf(config, app.config.defaultVault)) {
    const secrets = ref.vault ? listings.get(ref.vault.toLowerCase()) : undefined;
    if (secrets && !secrets.some((p) => p.name.toLowerCase() === ref.name.toLowerCase())) {
      out.push(
        result(
          area,
          name,
          'fail',
          `secretRef ${ref.name} does not exist in vault ${ref.vault}`,
          fixFor(area, 'SecretRefMissing', { vault: ref.vault ?? '', secret: ref.name }),
        ),
      );
    }
  }
  return out;
}

export function checkConsumers(app: RotatorApp, listings: Listings): CheckResult[] {
  const out: CheckResult[] = [];
  const used = new Set(app.config.groups.flatMap((g) => g.consumers));
  for (const name of used) {
    if (!Object.hasOwn(app.config.consumers, name)) {
      out.push(
        result(
          'consumer',
          name,
          'fail',
          'named by a secret but not configured',
          fixFor('consumer', 'ConsumerMissing', { consumer: name }),
        ),
      );
    }
  }
  for (const [name, consumer] of Object.entries(app.config.consumers)) {
    const problems = refProblems('consumer', name, consumer, app, listings);
    out.push(
      ...(problems.length > 0
        ? problems
        : [result('consumer', name, 'ok', `${consumer.type}: settings resolvable`)]),
    );
  }
  return out;
}

function urlOf(channel: Record<string, unknown>): unknown {
  return channel.url ?? channel.endpoint;
}

export async function checkChannels(
  app: RotatorApp,
  listings: Listings,
  options: DoctorOptions,
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const [name, channel] of Object.entries(app.config.channels)) {
    const problems = refProblems('channel', name, channel, app, listings);
    if (problems.length > 0) {
      out.push(...problems);
      continue;
    }
    const url = await channelUrl(app, urlOf(channel as Record<string, unknown>));
    if (url instanceof Error) {
      out.push(failure('channel', name, 'read its URL', url));
      continue;
    }
    const loopback = ['localhost', '127.0.0.1', '[::1]', '::1'].includes(url.hostname);
    if (app.mode === 'local' && !loopback) {
      out.push(
        result('channel', name, 'skip', `${channel.type}: ${url.hostname} not contacted in local mode`),
      );
      continue;
    }
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    try {
      await options.connect(url.hostname.replace(/^\[|\]$/g, ''), port);
      out.push(result('channel', name, 'ok', `${channel.type}: ${url.hostname}:${port} reachable`));
    } catch (error) {
      out.push(
        failure('channel', name, `${url.hostname}:${port} unreachable`, error, { host: url.hostname }),
      );
    }
  }
  return out;
}

/** The channel's URL; a `{ secretRef }` URL is read from Key Vault (only its host is ever shown). */
async function channelUrl(app: RotatorApp, value: unknown): Promise<URL | Error> {
  try {
    if (typeof value === 'string') return new URL(value);
    const ref = secretRefsOf(value, app.config.defaultVault)[0];
    if (!ref?.vault) return new Error('no URL configured');
    const secret = await app.engine.store.getCurrent(ref.vault, ref.name);
    if (!secret) return new Error(`secret ${ref.name} is empty`);
    return new URL(secret.value);
  } catch (error) {
    // A value that is not a URL must not be echoed: report the kind of problem only.
    if (error instanceof TypeError) return new Error('the configured URL is not a valid URL');
    return error instanceof Error ? error : new Error(String(error));
  }
}
