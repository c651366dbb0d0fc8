/**
 * Dry-run checks beyond the plan: everything that can be tried without changing anything — the group's
 * provider settings, read access to its secrets and their versions, and the provider (which key is in
 * use, whether the current credential still works there). Only reads: no Key Vault write, no lease, no
 * journal row, no queue message, nothing issued or regenerated at the provider.
 */
import { describeError } from '../errors.js';
import { readTag, TAGS } from '../kinds.js';
import type { CredentialGroup, SecretVersion } from '../ports.js';
import { redact } from './alerts.js';
import type { EngineDeps } from './deps.js';
import { bindProvider } from './provider.js';

export interface PreflightCheck {
  check: 'config' | 'key-vault' | 'provider';
  ok: boolean;
  detail: string;
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
  const { provider, ctx } = bound;
  try {
    const tagged = readTag(primary.tags, TAGS.credentialId);
    const inUse = provider.identify ? await provider.identify(ctx, primary.value) : tagged;
    const result = await provider.validate(ctx, {
      value: primary.value,
      credentialId: inUse ?? tagged ?? 'current',
    });
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
