/** How plans and runs read in a terminal (shared by `plan` and `rotate`). Never a value: ids, hints, names. */
import type { RotationPlan } from '../rotation/engine/index.js';
import type { RunRecord } from '../rotation/ports.js';
import { paint, type Style } from './format.js';

function field(label: string, value: string): string {
  return `  ${label.padEnd(11)}${value}\n`;
}

export function formatPlan(plan: RotationPlan, style: Style, heading?: string): string {
  const verdict = plan.wouldRotate ? style.green('would rotate') : style.yellow('would not rotate');
  let out = `${style.bold(heading ?? `${plan.vault}/${plan.secrets[0]?.name ?? plan.group}`)} (group ${plan.group}, ${plan.provider}, ${plan.mode}) — ${verdict}\n`;
  for (const b of plan.blockers) out += field('blocked', `${style.yellow(b.code)}: ${b.message}`);
  if (plan.existingRun) {
    const r = plan.existingRun;
    out += field(
      'run',
      `${r.id.slice(0, 12)} ${paint(style, r.status)} at ${r.phase} (attempt ${r.attempt})`,
    );
  }
  out += field('issue', plan.issue);
  out += field('validate', plan.validate);
  for (const s of plan.secrets) {
    const current = s.currentVersion
      ? `${s.currentVersion.slice(0, 12)}${s.currentCredentialId ? ` (${s.currentCredentialId})` : ''}`
      : 'no version yet';
    out += field(
      'write',
      `${s.name}${s.part ? ` [${s.part}]` : ''}: ${current} → new version, expires ${s.expiresOn.slice(0, 10)}`,
    );
  }
  out += field('propagate', plan.propagate.length > 0 ? plan.propagate.join(', ') : 'no consumers');
  out += field(
    'revoke',
    plan.revoke.will
      ? `${plan.revoke.credentialId ?? 'the previous credential'} (${plan.revoke.how})`
      : 'nothing (the previous key stays valid)',
  );
  if (plan.compromised)
    out += field('mode', style.red('compromised: spacing ignored, previous credential revoked'));
  return out;
}

function durationOf(run: RunRecord): string {
  if (!run.finishedAt) return 'unfinished';
  const s = Math.round((Date.parse(run.finishedAt) - Date.parse(run.createdAt)) / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function formatRun(run: RunRecord, style: Style): string {
  let out = `${style.bold(`${run.vault}/${run.secrets.join(', ')}`)} (group ${run.group}, ${run.provider}) — ${paint(style, run.status)}\n`;
  out += field('run', `${run.id} (attempt ${run.attempt}${run.compromised ? ', compromised' : ''})`);
  for (const secret of run.secrets) {
    const from = run.previousVersions[secret];
    const to = run.newVersions[secret];
    if (from || to)
      out += field('version', `${secret}: ${from?.slice(0, 12) ?? '∅'} → ${to?.slice(0, 12) ?? 'unchanged'}`);
  }
  if (run.credentialId) {
    const hint = run.keyHint ? ` (…${run.keyHint})` : '';
    out += field('credential', `${run.previousCredentialId ?? '?'} → ${run.credentialId}${hint}`);
  } else if (run.previousCredentialId) {
    out += field('credential', `${run.previousCredentialId} (unchanged)`);
  }
  for (const c of run.consumers) {
    out += field(
      'consumer',
      `${c.name} ${c.status === 'ok' ? style.green('ok') : c.status === 'failed' ? style.red('failed') : c.status}${c.detail ? ` (${c.detail})` : ''}`,
    );
  }
  if (run.revoked.length > 0) out += field('revoked', run.revoked.join(', '));
  for (const p of run.pendingHuman) out += field('to do', p);
  if (run.error)
    out += field('error', `${style.red(run.error.code)} at ${run.error.phase}: ${run.error.message}`);
  out += field('took', durationOf(run));
  return out;
}
