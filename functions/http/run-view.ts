/**
 * A run as the HTTP API shows it: ids, versions, phases, consumers, what was revoked and what waits on a
 * human, who asked and why — never a value (run records hold none; this picks fields explicitly so a
 * field added to `RunRecord` later is not exposed by accident). `notes` say in words what the status
 * means for the caller (e.g. that tokens signed with a revoked JWT key stop verifying).
 */
import type { RunPhase, RunStatus } from '../../rotation/kinds.js';
import type { ManualTask, RunRecord } from '../../rotation/ports.js';

export interface RunView {
  id: string;
  location: string;
  vault: string;
  group: string;
  provider: string;
  secrets: string[];
  status: RunStatus;
  phase: RunPhase;
  attempt: number;
  compromised: boolean;
  trigger: string;
  caller?: string;
  reason?: string;
  /** Version of the secret the request named (else the group's first secret) before and after. */
  previousVersion?: string;
  newVersion?: string;
  previousVersions: Record<string, string>;
  newVersions: Record<string, string>;
  previousCredentialId?: string;
  credentialId?: string;
  /** Last 4 characters, as provider dashboards show. */
  keyHint?: string;
  previousKeyHint?: string;
  phases: { phase: RunPhase; at: string }[];
  consumers: { name: string; status: string; detail?: string; attempts: number; at: string }[];
  revoked: string[];
  pendingHuman: string[];
  alerts: { kind: string; channel: string; status: string }[];
  error?: { code: string; message: string; phase: RunPhase };
  rollbackOf?: string;
  repropagations?: {
    requestedAt: string;
    at: string;
    caller?: string;
    reason?: string;
    consumers: string[];
  }[];
  /** Manual providers: the human's rotation task (deadline, reminders, rejections, closed). */
  task?: ManualTask;
  notes: string[];
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export function runLocation(id: string): string {
  return `/api/runs/${encodeURIComponent(id)}`;
}

function versionOf(
  versions: Record<string, string>,
  secret: string | undefined,
  fallback: string | undefined,
) {
  const wanted = (secret ?? fallback)?.toLowerCase();
  return Object.entries(versions).find(([name]) => name.toLowerCase() === wanted)?.[1];
}

/** Plain-language consequences of the run's state. */
export function runNotes(run: RunRecord): string[] {
  const notes: string[] = [];
  const kids = run.revoked.filter((r) => r.startsWith('kid:')).map((r) => r.slice(4));
  const disabled = run.revoked.filter((r) => r.startsWith('version:'));
  const failed = run.consumers.filter((c) => c.status === 'failed').map((c) => c.name);
  if (run.compromised && run.provider === 'jwt-secret' && run.revoked.length > 0) {
    notes.push(
      `The previous signing key versions are disabled: tokens signed with them (kid ${kids.join(', ') || 'unknown'}) ` +
        'stop verifying, so their holders must sign in again.',
    );
  } else if (run.compromised && run.revoked.some((r) => !r.startsWith('version:'))) {
    notes.push(
      `Revoked at ${run.provider}: ${run.revoked.filter((r) => !r.startsWith('version:')).join(', ')} — ` +
        'the leaked key no longer works; consumers were restarted on the new key first.',
    );
  }
  if (disabled.length > 0) {
    notes.push(`Key Vault versions that held the leaked value are disabled: ${disabled.length}.`);
  }
  if (run.compromised && run.status === 'manual-action-required') {
    notes.push(
      `${run.provider} has no API to mint or revoke keys: the tasks above are urgent. Key Vault keeps serving ` +
        'the current value until a replacement is submitted (POST /api/secrets/{name}/versions).',
    );
  }
  if (failed.length > 0 && run.phase === 'done') {
    notes.push(
      `Consumers ${failed.join(', ')} did not pick up the new credential: POST ${runLocation(run.id)}/propagate` +
        (run.compromised ? ' (leaked versions stay enabled until they do).' : '.'),
    );
  }
  if (run.rollbackOf)
    notes.push(`Rollback of run ${run.rollbackOf}: the previous credential is current again.`);
  return notes;
}

/** The run as the API returns it; `secret` picks which secret's versions `previousVersion`/`newVersion` show. */
export function runView(run: RunRecord, secret?: string): RunView {
  const first = run.secrets[0];
  const previousVersion = versionOf(run.previousVersions, secret, first);
  const newVersion = versionOf(run.newVersions, secret, first);
  return {
    id: run.id,
    location: runLocation(run.id),
    vault: run.vault,
    group: run.group,
    provider: run.provider,
    secrets: [...run.secrets],
    status: run.status,
    phase: run.phase,
    attempt: run.attempt,
    compromised: run.compromised,
    trigger: run.trigger.kind,
    ...(run.trigger.caller ? { caller: run.trigger.caller } : {}),
    ...(run.trigger.reason ? { reason: run.trigger.reason } : {}),
    ...(previousVersion ? { previousVersion } : {}),
    ...(newVersion ? { newVersion } : {}),
    previousVersions: { ...run.previousVersions },
    newVersions: { ...run.newVersions },
    ...(run.previousCredentialId ? { previousCredentialId: run.previousCredentialId } : {}),
    ...(run.credentialId ? { credentialId: run.credentialId } : {}),
    ...(run.keyHint ? { keyHint: run.keyHint } : {}),
    ...(run.previousKeyHint ? { previousKeyHint: run.previousKeyHint } : {}),
    phases: run.phases.map((p) => ({ phase: p.phase, at: p.at })),
    consumers: run.consumers.map((c) => ({
      name: c.name,
      status: c.status,
      ...(c.detail ? { detail: c.detail } : {}),
      attempts: c.attempts,
      at: c.at,
    })),
    revoked: [...run.revoked],
    pendingHuman: [...run.pendingHuman],
    alerts: run.alerts.map((a) => ({ kind: a.kind, channel: a.channel, status: a.status })),
    ...(run.error ? { error: { ...run.error } } : {}),
    ...(run.rollbackOf ? { rollbackOf: run.rollbackOf } : {}),
    ...(run.repropagations?.length ? { repropagations: run.repropagations.map((r) => ({ ...r })) } : {}),
    ...(run.task ? { task: structuredClone(run.task) } : {}),
    notes: runNotes(run),
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
  };
}
