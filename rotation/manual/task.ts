/**
 * The human's rotation task for a manual provider (a human mints the key in a dashboard; the rotator
 * validates, promotes and propagates it). The task lives on the run that asked for it (`RunRecord.task`):
 * the run ends `manual-action-required` before anything was issued, and stays so until a valid value
 * arrives. Pure helpers: what an open task is, its deadline, and the words owners read.
 */
import type { CredentialGroup, ManagedSecret, ManualTask, RunRecord } from '../ports.js';

export const DAY_MS = 86_400_000;

/** How a value reaches the rotator, best first; shown in every task alert. */
export const VERSIONS_ROUTE = '/api/secrets/{name}/versions';

/** A run whose rotation waits on a human: nothing issued yet, task not closed. */
export function isOpenTask(run: Readonly<RunRecord>): boolean {
  return (
    run.status === 'manual-action-required' &&
    (run.phase === 'queued' || run.phase === 'claimed') &&
    run.task?.closedAt === undefined
  );
}

export function newTask(input: {
  now: Date;
  deadline?: Date | undefined;
  urgent: boolean;
  dashboardUrl?: string | undefined;
}): ManualTask {
  return {
    openedAt: input.now.toISOString(),
    ...(input.deadline ? { deadline: input.deadline.toISOString() } : {}),
    urgent: input.urgent,
    ...(input.dashboardUrl ? { dashboardUrl: input.dashboardUrl } : {}),
    reminders: [],
  };
}

/** The run's task; a run journaled before tasks existed gets one built from its record. */
export function taskOf(run: Readonly<RunRecord>): ManualTask {
  if (run.task) return structuredClone(run.task);
  return { openedAt: run.finishedAt ?? run.createdAt, urgent: run.compromised, reminders: [] };
}

export function isUrgent(run: Readonly<RunRecord>): boolean {
  return run.compromised || run.task?.urgent === true;
}

/** `2026-03-31T00:00:00.000Z (in 30 days)`, `… (2 days ago)`. */
export function describeDeadline(deadline: Date | undefined, now: Date): string {
  if (!deadline) return 'no deadline (the current version has no expiry)';
  const days = Math.round((deadline.getTime() - now.getTime()) / DAY_MS);
  const when =
    days > 0
      ? `in ${days} day${days === 1 ? '' : 's'}`
      : days < 0
        ? `${-days} day${days === -1 ? '' : 's'} ago`
        : 'today';
  return `${deadline.toISOString()} (${when})`;
}

function placeholder(secret: Pick<ManagedSecret, 'part'>): string {
  return secret.part ? `<${secret.part}>` : '<new value>';
}

/**
 * How to hand a new value over: the preferred `POST …/versions` (validated before anything is written;
 * several secrets of one credential go together with `with`), then `az keyvault secret set` (validated
 * after the fact; an invalid value is replaced by the last valid one).
 */
export function handOverText(group: Pick<CredentialGroup, 'vault' | 'secrets'>): string {
  const [first, ...others] = group.secrets;
  if (!first) return '';
  const body: Record<string, unknown> = { value: placeholder(first) };
  const partners = others.filter((s) => s.part !== undefined && s.part !== first.part);
  if (partners.length > 0) body.with = Object.fromEntries(partners.map((s) => [s.name, placeholder(s)]));
  const post = `POST ${VERSIONS_ROUTE.replace('{name}', first.name)}?vault=${group.vault} with ${JSON.stringify(body)}`;
  const az = group.secrets
    .map(
      (s) =>
        `az keyvault secret set --vault-name ${group.vault} --name ${s.name} --value '${placeholder(s)}'`,
    )
    .join(' and ');
  const pair =
    partners.length > 0 ? ' (set the parts within 15 minutes of each other: they are checked together)' : '';
  return (
    `Hand it over with ${post} — checked with the provider before anything is written, then promoted to ` +
    `every secret of the group and propagated. Alternatively ${az}${pair}: the rotator checks it afterwards ` +
    'and puts the last valid value back if the provider rejects it.'
  );
}

/** Who must act, and by when. */
export function ownersText(group: Pick<CredentialGroup, 'owners'>): string {
  return group.owners.length > 0 ? `Owners: ${group.owners.join(', ')}.` : 'No owners are configured.';
}

/**
 * The text of a task alert (opening, reminders, escalation): what to mint (`todo`, the provider's
 * instructions and dashboard), where it goes (vault, secrets), the deadline, owners and the hand-over.
 */
export function taskText(input: {
  group: Pick<CredentialGroup, 'vault' | 'secrets' | 'owners' | 'provider'>;
  todo: string;
  deadline: Date | undefined;
  now: Date;
}): string {
  const { group } = input;
  const names = group.secrets.map((s) => (s.part ? `${s.name} (${s.part})` : s.name)).join(', ');
  return (
    `${group.provider} has no API to issue keys: a human mints the new one. ${input.todo.replace(/\.?\s*$/, '.')} ` +
    `Vault ${group.vault}, secret${group.secrets.length === 1 ? '' : 's'} ${names}. ` +
    `Deadline: ${describeDeadline(input.deadline, input.now)} — the current version expires then. ` +
    `${ownersText(group)} ${handOverText(group)}`
  );
}
