/**
 * Dry-run checks beyond the plan: everything that can be tried without changing anything — the group's
 * provider settings, read access to its secrets and their versions, and the provider (which key is in
 * use, whether the current credential still works there). Only reads: no Key Vault write, no lease, no
 * journal row, no queue message, nothing issued or regenerated at the provider.
 */
import { describeError } from '../errors.js';
import { readTag, TAGS } from '../kinds.js';
import type { Clock, CredentialGroup, SecretVersion } from '../ports.js';
import { redact } from './alerts.js';
import type { EngineDeps } from './deps.js';
import { bindProvider } from './provider.js';

export interface PreflightCheck {
  check: 'config' | 'key-vault' | 'provider';
  ok: boolean;
  detail: string;
}

/** A dry run waits this long for one provider's answer (a provider that hangs must not hang the plan). */
export const PROVIDER_CHECK_TIMEOUT_MS = 5_000;

/** The promise's value, or undefined after `ms` on the engine clock (then `abort` is signalled). */
async function withTimeout<T>(
  clock: Clock,
  work: Promise<T>,
  ms: number,
  abort: AbortController,
): Promise<T | undefined> {
  const timer = new AbortController();
  const timeout = clock.sleep(ms, timer.signal).then(
    () => undefined,
    () => undefined,
  );
  try {
    const winner = await Promise.race([work.then((value) => ({ value })), timeout]);
    if (winner === undefined) {
      abort.abort(new Error('provider check timed out'));
      // The abandoned call settles on its own (its own timeouts); nothing waits for it.
      work.catch(() => undefined);
      return undefined;
    }
    return winner.value;
  } finally {
    timer.abort();
  }
}

export async function preflightChecks(
  deps: Pick<EngineDeps, 'providers' | 'clock' | 'log' | 'store'>,
  group: CredentialGroup,
): Promise<PreflightCheck[]> {
  const checks: PreflightCheck[] = [];
  const values = new Set<string>();
  const safe = (text: string) => redact(text, values);

  let bound: ReturnType<typeof bindProvider> | undefined;
  try {
    bound = bindProvider(deps, group);
    checks.push({
      check: 'config',
      ok: true,
      detail: `${group.provider} settings are valid (${bound.provider.mode})`,
    });
  } catch (error) {
    checks.push({ check: 'config', ok: false, detail: describeError(error).message });
  }

  let primary: SecretVersion | undefined;
  try {
    let versions = 0;
    for (const secret of group.secrets) {
      const current = await deps.store.getCurrent(group.vault, secret.name);
      if (current) values.add(current.value);
      if (secret === group.secrets[0]) primary = current;
      for await (const _ of deps.store.listVersions(group.vault, secret.name)) versions += 1;
    }
    checks.push({
      check: 'key-vault',
      ok: true,
      detail: `read ${group.secrets.length} secret(s) and ${versions} version(s) in ${group.vault}`,
    });
  } catch (error) {
    const { code, message } = describeError(error);
    checks.push({ check: 'key-vault', ok: false, detail: safe(`${code}: ${message}`) });
  }

  if (!bound) return checks;
  if (!primary) {
    checks.push({
      check: 'provider',
      ok: bound.provider.mode === 'manual' || group.provider === 'jwt-secret',
      detail: `no current credential in ${group.secrets[0]?.name}: nothing to check at ${group.provider}`,
    });
    return checks;
  }
  const { provider } = bound;
  const abort = new AbortController();
  const ctx = { ...bound.ctx, signal: abort.signal };
  const current = primary;
  try {
    const tagged = readTag(current.tags, TAGS.credentialId);
    const probe = async () => {
      const inUse = provider.identify ? await provider.identify(ctx, current.value) : tagged;
      const result = await provider.validate(ctx, {
        value: current.value,
        credentialId: inUse ?? tagged ?? 'current',
      });
      return { inUse, result };
    };
    const answer = await withTimeout(deps.clock, probe(), PROVIDER_CHECK_TIMEOUT_MS, abort);
    if (answer === undefined) {
      checks.push({
        check: 'provider',
        ok: false,
        detail: `${group.provider} did not answer within ${PROVIDER_CHECK_TIMEOUT_MS / 1000}s`,
      });
      return checks;
    }
    const { inUse, result } = answer;
    const which = inUse ? ` (${inUse})` : '';
    checks.push(
      result.ok
        ? { check: 'provider', ok: true, detail: `the current credential${which} works at ${group.provider}` }
        : {
            check: 'provider',
            ok: false,
            detail: safe(
              result.outcome === 'rejected'
                ? `${group.provider} rejects the current credential${which}: ${result.reason}`
                : `${group.provider} is unreachable: ${result.reason}`,
            ),
          },
    );
  } catch (error) {
    const { code, message } = describeError(error);
    checks.push({ check: 'provider', ok: false, detail: safe(`${code}: ${message}`) });
  }
  return checks;
}
