/**
 * Compromise response beyond the provider's own `revoke`:
 *
 * - Key Vault versions that held the leaked value are disabled once nothing needs them: every secret of
 *   the group serves this run's new version and every consumer picked it up (a consumer that failed to
 *   restart may still read by version; re-propagating the run finishes the job). A disabled version can
 *   no longer be read, so Key Vault stops handing the leaked value to anyone — rollback included.
 * - Manual providers (no API to mint or revoke): the run ends with an urgent task and a critical alert to
 *   mint a replacement and revoke the leaked key in the dashboard. The current version stays readable
 *   until a new value arrives — disabling it first would take every consumer down.
 */
import { describeError } from '../errors.js';
import type { CredentialGroup, Logger, RunRecord, SecretStore } from '../ports.js';
import type { RunFlow } from './flow.js';
import { keyHint } from './tags.js';

export interface DisabledVersion {
  secret: string;
  version: string;
}

export interface LeakedVersionsOutcome {
  disabled: DisabledVersion[];
  /** Why nothing was disabled yet (undefined when done or nothing to do). */
  waiting?: string;
}

/** How a disabled version is listed in `RunRecord.revoked`. */
export function disabledEntry(d: DisabledVersion): string {
  return `version:${d.secret}/${d.version}`;
}

/** Why the leaked versions are still needed, or undefined when they may go. */
export async function stillNeeded(
  store: SecretStore,
  group: Pick<CredentialGroup, 'vault' | 'secrets'>,
  run: Pick<RunRecord, 'newVersions' | 'consumers'>,
): Promise<string | undefined> {
  const failed = run.consumers.filter((c) => c.status === 'failed').map((c) => c.name);
  if (failed.length > 0) return `consumers ${failed.join(', ')} have not picked up the new credential`;
  for (const secret of group.secrets) {
    const current = await store.getCurrent(group.vault, secret.name);
    const expected = run.newVersions[secret.name];
    if (!current || expected === undefined || current.version !== expected) {
      return `secret ${secret.name} does not serve this run's new version`;
    }
  }
  return undefined;
}

/**
 * Disables, for every secret of the group, the version that was current when the compromise was
 * reported (`previousVersions`) and any other enabled older version holding one of those leaked values.
 * Values are compared in memory only. Versions already disabled (JWT `revoke` does that) are skipped.
 */
export async function disableLeakedVersions(
  deps: { store: SecretStore; log: Logger },
  group: Pick<CredentialGroup, 'vault' | 'secrets'>,
  run: Pick<RunRecord, 'id' | 'compromised' | 'previousVersions' | 'newVersions' | 'consumers'>,
): Promise<LeakedVersionsOutcome> {
  if (!run.compromised || Object.keys(run.previousVersions).length === 0) return { disabled: [] };
  const waiting = await stillNeeded(deps.store, group, run);
  if (waiting) {
    deps.log.warn('leaked versions stay enabled for now', { runId: run.id, waiting });
    return { disabled: [], waiting };
  }
  const { vault } = group;
  const versions = new Map<string, { version: string; enabled: boolean }[]>();
  const leaked = new Set<string>();
  for (const secret of group.secrets) {
    const list: { version: string; enabled: boolean }[] = [];
    for await (const v of deps.store.listVersions(vault, secret.name)) {
      list.push({ version: v.version, enabled: v.enabled });
    }
    versions.set(secret.name, list);
    const previous = run.previousVersions[secret.name];
    if (previous && list.some((v) => v.version === previous && v.enabled)) {
      const old = await deps.store.getVersion(vault, secret.name, previous);
      if (old) leaked.add(old.value);
    }
  }
  const disabled: DisabledVersion[] = [];
  for (const secret of group.secrets) {
    const current = run.newVersions[secret.name];
    const previous = run.previousVersions[secret.name];
    for (const v of versions.get(secret.name) ?? []) {
      if (!v.enabled || v.version === current) continue;
      let isLeaked = v.version === previous;
      if (!isLeaked && leaked.size > 0) {
        const old = await deps.store.getVersion(vault, secret.name, v.version);
        isLeaked = old !== undefined && leaked.has(old.value);
      }
      if (!isLeaked) continue;
      await deps.store.updateVersion(vault, secret.name, v.version, { enabled: false });
      disabled.push({ secret: secret.name, version: v.version });
    }
  }
  deps.log.info('leaked Key Vault versions disabled', { runId: run.id, count: disabled.length });
  return { disabled };
}

/** The revoke step's part: disabled versions as `revoked` entries (see `disabledEntry`). */
export async function disableLeakedForFlow(flow: RunFlow): Promise<string[]> {
  const outcome = await disableLeakedVersions(flow.deps, flow.group, flow.run);
  return outcome.disabled.map(disabledEntry);
}

/**
 * A compromised run of a manual provider: an urgent task list (mint and submit a replacement, then revoke
 * the leaked key in the dashboard) and a critical alert. Nothing in Key Vault changes: consumers keep
 * the current (leaked) value until the replacement arrives. Returns what the run records.
 */
export async function manualCompromiseTasks(
  flow: RunFlow,
  mintTask: string,
): Promise<{ pendingHuman: string[]; alerts: RunRecord['alerts'] }> {
  const { run, group } = flow;
  const currents = await flow.loadCurrents();
  const current = currents.get(flow.primary.name);
  const hint = current ? `…${keyHint(current.value)}` : 'the current credential';
  let revokeTask = `revoke the leaked ${group.provider} credential ${hint} in the dashboard`;
  const { provider, ctx } = flow.provider();
  if (provider.mode === 'manual' && provider.revoke && current) {
    try {
      const said = await provider.revoke(ctx, {
        credentialId: run.previousCredentialId,
        version: current.version,
      });
      if (said.pendingHuman.length > 0) revokeTask = said.pendingHuman.join('; ');
    } catch (error) {
      flow.deps.log.warn('could not word the revoke task; using the generic one', {
        runId: run.id,
        ...describeError(error),
      });
    }
  }
  const names = group.secrets.map((s) => s.name).join(', ');
  const tasks = [
    flow.safe(`URGENT (compromised): ${mintTask}; submit it as a new version of ${names}`),
    flow.safe(
      `URGENT (compromised): once the replacement is live, ${revokeTask}. Key Vault keeps serving ${hint} ` +
        'until then, so consumers keep working; its versions are disabled after the replacement is propagated',
    ),
  ];
  const alerts = await flow.alert(
    'manual-action-required',
    'critical',
    `URGENT: ${group.id} is compromised — replace and revoke its ${group.provider} credential`,
    `Run ${run.id}: ${group.provider} has no API to mint or revoke keys. ${tasks.join(' ')}`,
  );
  return { pendingHuman: tasks, alerts };
}

/**
 * A compromise reported while the group's manual run already waits on a human (a normal reminder):
 * the run becomes compromised and its tasks urgent. Returns the updated run.
 */
export async function escalateManualRun(flow: RunFlow): Promise<RunRecord> {
  const mint = flow.run.pendingHuman[0] ?? `mint a new ${flow.group.provider} credential`;
  const urgent = await manualCompromiseTasks(flow, mint);
  flow.deps.log.warn('manual run escalated: compromise reported', { runId: flow.run.id });
  return flow.writer.save((d) => {
    d.compromised = true;
    d.trigger = { ...flow.request.trigger };
    d.pendingHuman = urgent.pendingHuman;
    d.alerts.push(...urgent.alerts);
    if (d.task) d.task.urgent = true;
  });
}
