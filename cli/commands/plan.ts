/**
 * `rotator plan`: what is due and what each run would do (a dry run). Lists every vault (no value reads),
 * then plans only the credential groups that are due, overdue, expired or failing — the same ones the
 * daily sweep would queue.
 */
import { planRotation, type RotationPlan } from '../../rotation/engine/index.js';
import { describeError } from '../../rotation/errors.js';
import { settleLimit } from '../../rotation/reports/index.js';
import { type Command, stringOption } from '../command.js';
import { EXIT, type ExitCode, UsageError } from '../exit.js';
import { paint } from '../format.js';
import { formatPlan } from '../render.js';
import { scanFor, selectTargets } from '../select.js';

const HELP = `Usage: rotator plan [--vault V] [--all] [--json]

What is due and what each run would do, without changing anything: which credential groups are in the
30-day window (or expired, or failing), and for each the credential it would issue, the versions and
tags it would write, the consumers it would restart, what it would revoke, and what would stop it.

Options:
  --vault V    only this vault
  --all        plan every managed credential group, due or not
  --json       the plans as JSON
`;

export const planCommand: Command = {
  name: 'plan',
  summary: 'what is due and what each run would do (dry run)',
  help: HELP,
  options: { vault: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(ctx): Promise<ExitCode> {
    if (ctx.positionals.length > 0) throw new UsageError(`unexpected argument '${ctx.positionals[0]}'`);
    const app = await ctx.app();
    const scan = await scanFor(app, stringOption(ctx.values, 'vault')?.toLowerCase());
    const targets = selectTargets(scan, { tags: [], dueOnly: ctx.values.all !== true });
    const now = app.engine.clock.now();
    const results = await settleLimit(targets, app.settings.ROTATION_CONCURRENCY, (t) =>
      planRotation(app.engine, {
        vault: t.vault,
        secret: t.secret,
        trigger: { kind: 'cli', caller: `cli:${ctx.io.operator}`, reason: 'plan' },
        dryRun: true,
        requestedAt: now.toISOString(),
      }),
    );
    const plans: {
      target: (typeof targets)[number];
      plan?: RotationPlan;
      error?: { code: string; message: string };
    }[] = results.map((r, i) =>
      r.ok ? { target: targets[i]!, plan: r.value } : { target: targets[i]!, error: describeError(r.error) },
    );
    const errors = plans.filter((p) => p.error).length;
    if (ctx.values.json === true) {
      const body = {
        generatedAt: now.toISOString(),
        plans: plans.map((p) => ({
          vault: p.target.vault,
          group: p.target.group,
          secret: p.target.secret,
          state: p.target.row.state,
          daysLeft: p.target.row.daysLeft ?? null,
          ...(p.plan ? { plan: p.plan } : { error: p.error }),
        })),
        problems: scan.report.problems,
      };
      ctx.io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      return errors > 0 ? EXIT.failed : EXIT.ok;
    }
    const managedGroups = new Set(
      scan.report.rows.filter((r) => r.managed).map((r) => `${r.vault}/${r.group}`),
    ).size;
    const would = plans.filter((p) => p.plan?.wouldRotate).length;
    ctx.io.stdout.write(
      `${plans.length} of ${managedGroups} credential group(s) ${ctx.values.all === true ? 'planned' : 'due'}; ${would} would rotate now.\n\n`,
    );
    for (const p of plans) {
      const row = p.target.row;
      const when =
        row.daysLeft === undefined
          ? 'no expiry'
          : row.daysLeft < 0
            ? `expired ${-row.daysLeft}d ago`
            : `expires in ${row.daysLeft}d`;
      const heading = `${p.target.vault}/${p.target.secret} [${paint(ctx.style, row.state)}, ${when}]`;
      if (p.plan) ctx.io.stdout.write(`${formatPlan(p.plan, ctx.style, heading)}\n`);
      else
        ctx.io.stdout.write(
          `${ctx.style.bold(heading)} — ${ctx.style.red('cannot plan')}: ${p.error?.code}: ${p.error?.message}\n\n`,
        );
    }
    for (const problem of scan.report.problems) {
      ctx.io.stdout.write(
        `${ctx.style.yellow('!')} ${problem.vault}${problem.secret ? `/${problem.secret}` : ''}: ${problem.code}: ${problem.message}\n`,
      );
    }
    return errors > 0 ? EXIT.failed : EXIT.ok;
  },
};
