/**
 * `rotator rotate`: rotates now, in this process (the engine's worker path under the group's lease), one
 * secret or a selection. `--dry-run` prints what would happen and changes nothing.
 */
import { executeRun, planRotation } from '../../rotation/engine/index.js';
import { describeError, isRotationError } from '../../rotation/errors.js';
import type { RunRecord, RunRequest } from '../../rotation/ports.js';
import { settleLimit } from '../../rotation/reports/index.js';
import { type Command, type CommandContext, listOption, stringOption } from '../command.js';
import { EXIT, type ExitCode, UsageError } from '../exit.js';
import { type Column, paint, renderTable } from '../format.js';
import { createProgress } from '../progress.js';
import { formatPlan, formatRun } from '../render.js';
import { checkSelector, scanFor, selectTargets, type Target, vaultFor } from '../select.js';

const HELP = `Usage: rotator rotate NAME --reason TEXT [--vault V] [--compromised] [--dry-run]
       rotator rotate (--all | --provider P | --tag K=V ...) --reason TEXT [--vault V]
                      [--compromised] [--dry-run] [--concurrency N]

Rotates now, in this process, with your identity: issue, validate, promote, propagate (and revoke for
--compromised). A run already in progress in the Function App holds the group's lease: the command
then reports it instead of racing it. Every secret of a credential group gets the new value.

Options:
  --reason TEXT      why (recorded on the run; required unless --dry-run)
  --vault V          the vault (required when several are configured, for NAME)
  --compromised      the credential leaked: ignore spacing and revoke the previous credential
  --dry-run          print what each run would do; change nothing
  --all              every managed credential group
  --provider P       groups of this provider kind (e.g. jwt-secret, azure-cognitive-services)
  --tag K=V          groups whose current version carries tag K=V (repeatable; all must match)
  --concurrency N    groups rotated at once (default ROTATION_CONCURRENCY, 8)

Exit codes: 0 every run ended well (done, revoked, skipped, manual-action-required), 1 a run failed,
2 usage or configuration error.

Examples:
  rotator rotate openai-key --reason "quarterly rotation"
  rotator rotate openai-key --compromised --reason "key posted in a public repo"
  rotator rotate --provider jwt-secret --reason "policy change" --dry-run
`;

const FAILED_STATUSES = new Set(['failed', 'propagated-with-errors']);

type Outcome = { target: Target; run?: RunRecord; error?: { code: string; message: string } };

function concurrency(ctx: CommandContext, fallback: number): number {
  const text = stringOption(ctx.values, 'concurrency');
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new UsageError('--concurrency must be a whole number from 1 to 64');
  return n;
}

function request(ctx: CommandContext, vault: string, secret: string, now: Date): RunRequest {
  const reason = stringOption(ctx.values, 'reason');
  return {
    vault,
    secret,
    trigger: { kind: 'cli', caller: `cli:${ctx.io.operator}`, ...(reason ? { reason } : {}) },
    ...(ctx.values.compromised === true ? { compromised: true } : {}),
    ...(ctx.values['dry-run'] === true ? { dryRun: true } : {}),
    requestedAt: now.toISOString(),
  };
}

/** Lease held elsewhere and similar: the run was not ours to do now. */
function describeRunError(error: unknown): { code: string; message: string } {
  const { code, message } = describeError(error);
  if (isRotationError(error, 'RunInProgress') || isRotationError(error, 'LeaseLost')) {
    return { code, message: `${message} (another worker holds this group; see rotator report history)` };
  }
  return { code, message };
}

async function single(ctx: CommandContext, name: string): Promise<ExitCode> {
  const app = await ctx.app();
  const vault = vaultFor(app, stringOption(ctx.values, 'vault'));
  const req = request(ctx, vault, name, app.engine.clock.now());
  if (req.dryRun) {
    ctx.io.stdout.write(formatPlan(await planRotation(app.engine, req), ctx.style, `${vault}/${name}`));
    return EXIT.ok;
  }
  let run: RunRecord;
  try {
    run = await executeRun(app.engine, req);
  } catch (error) {
    if (isRotationError(error, 'UnmanagedSecret') || isRotationError(error, 'ConfigInvalid')) throw error;
    const { code, message } = describeRunError(error);
    ctx.io.stderr.write(`${ctx.style.red('error:')} ${code}: ${message}\n`);
    return EXIT.failed;
  }
  ctx.io.stdout.write(formatRun(run, ctx.style));
  const note = unchangedNote(run, req.requestedAt);
  if (note) ctx.io.stderr.write(`${ctx.style.yellow('note:')} ${note}\n`);
  return FAILED_STATUSES.has(run.status) ? EXIT.failed : EXIT.ok;
}

/** Says why nothing happened when the run of the current version had already ended before this request. */
export function unchangedNote(run: RunRecord, requestedAt: string): string | undefined {
  if (!run.finishedAt || run.finishedAt >= requestedAt) return undefined;
  if (run.status === 'manual-action-required') {
    return `run ${run.id} already waits for a human to submit the new credential (see "to do")`;
  }
  return `the run of the current version already ended ${run.status} at ${run.finishedAt}`;
}

async function bulk(ctx: CommandContext): Promise<ExitCode> {
  const selector = {
    all: ctx.values.all === true,
    ...(stringOption(ctx.values, 'provider') ? { provider: stringOption(ctx.values, 'provider') } : {}),
    tags: listOption(ctx.values, 'tag'),
  };
  checkSelector(selector);
  const app = await ctx.app();
  const scan = await scanFor(app, stringOption(ctx.values, 'vault')?.toLowerCase());
  const targets = selectTargets(scan, selector);
  if (targets.length === 0) {
    ctx.io.stderr.write('No managed credential group matches the selection.\n');
    return EXIT.ok;
  }
  const dryRun = ctx.values['dry-run'] === true;
  ctx.io.stderr.write(`${dryRun ? 'Planning' : 'Rotating'} ${targets.length} credential group(s)…\n`);
  if (dryRun) {
    for (const t of targets) {
      const plan = await planRotation(app.engine, request(ctx, t.vault, t.secret, app.engine.clock.now()));
      ctx.io.stdout.write(`${formatPlan(plan, ctx.style, `${t.vault}/${t.secret}`)}\n`);
    }
    return EXIT.ok;
  }
  const progress = createProgress(ctx.io.stderr, targets.length);
  const results = await settleLimit(
    targets,
    concurrency(ctx, app.settings.ROTATION_CONCURRENCY),
    async (t) => {
      try {
        const run = await executeRun(app.engine, request(ctx, t.vault, t.secret, app.engine.clock.now()));
        progress.tick(`${t.vault}/${t.group} ${run.status}`);
        return { target: t, run } satisfies Outcome;
      } catch (error) {
        progress.tick(`${t.vault}/${t.group} error`);
        return { target: t, error: describeRunError(error) } satisfies Outcome;
      }
    },
  );
  progress.done();
  const outcomes = results.map(
    (r, i): Outcome => (r.ok ? r.value : { target: targets[i]!, error: describeError(r.error) }),
  );
  const columns: Column<Outcome>[] = [
    {
      header: 'STATUS',
      text: (o) => o.run?.status ?? 'error',
      colour: (t) => paint(ctx.style, t === 'error' ? 'failed' : t),
    },
    { header: 'VAULT', text: (o) => o.target.vault, flex: true, min: 6 },
    { header: 'GROUP', text: (o) => o.target.group, flex: true, min: 10 },
    { header: 'RUN', text: (o) => o.run?.id.slice(0, 8) ?? '-' },
    {
      header: 'DETAIL',
      text: (o) =>
        o.error
          ? `${o.error.code}: ${o.error.message}`
          : o.run?.error
            ? `${o.run.error.code} at ${o.run.error.phase}: ${o.run.error.message}`
            : o.run?.credentialId
              ? `${o.run.previousCredentialId ?? '?'} → ${o.run.credentialId}`
              : '',
      flex: true,
      min: 12,
    },
  ];
  ctx.io.stdout.write(renderTable(columns, outcomes, ctx.width, ctx.style));
  const failed = outcomes.filter((o) => o.error || (o.run && FAILED_STATUSES.has(o.run.status))).length;
  ctx.io.stdout.write(
    `\n${outcomes.length - failed} of ${outcomes.length} group(s) rotated without failure.\n`,
  );
  return failed > 0 ? EXIT.failed : EXIT.ok;
}

export const rotateCommand: Command = {
  name: 'rotate',
  summary: 'rotate a secret now (or --all, --provider, --tag), with --dry-run',
  help: HELP,
  options: {
    reason: { type: 'string', short: 'r' },
    vault: { type: 'string' },
    compromised: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    all: { type: 'boolean' },
    provider: { type: 'string' },
    tag: { type: 'string', multiple: true },
    concurrency: { type: 'string' },
  },
  async run(ctx): Promise<ExitCode> {
    const [name, ...extra] = ctx.positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const selecting =
      ctx.values.all === true ||
      ctx.values.provider !== undefined ||
      listOption(ctx.values, 'tag').length > 0;
    if (name && selecting)
      throw new UsageError('give a secret NAME or a selection (--all, --provider, --tag), not both');
    if (!name && !selecting) throw new UsageError('which secret? give NAME, or --all, --provider or --tag');
    const reason = stringOption(ctx.values, 'reason');
    if (ctx.values['dry-run'] !== true && (reason === undefined || reason.trim() === '')) {
      throw new UsageError('--reason is required: it is recorded on the run for the audit trail');
    }
    if (reason !== undefined && reason.length > 500)
      throw new UsageError('--reason must be at most 500 characters');
    return name ? single(ctx, name) : bulk(ctx);
  },
};
