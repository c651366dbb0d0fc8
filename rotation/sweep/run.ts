/**
 * `runSweep`: the daily sweep. Scans every configured vault (listing pages + one journal query per vault),
 * runs `SWEEP_STEPS` in order, sends the digest and writes the heartbeat row. One failure never stops the
 * sweep: a vault that cannot be listed, an item a step cannot handle, a step that throws — each becomes a
 * recorded problem and the sweep goes on. Never throws; `heartbeat.outcome` says how it went.
 */
import { randomUUID } from 'node:crypto';
import { describeError } from '../errors.js';
import type { SweepHeartbeat, SweepProblem } from '../ports.js';
import { collectInventory, groupRuns, type InventoryScan } from '../reports/index.js';
import { buildDigest, digestChannels, sendDigest } from './digest.js';
import { MAX_HEARTBEAT_PROBLEMS } from './heartbeat.js';
import { SWEEP_STEPS } from './steps.js';
import type {
  ManagedEntry,
  StepOutcome,
  StepResult,
  SweepContext,
  SweepOptions,
  SweepResult,
  SweepStep,
} from './types.js';

export const DEFAULT_STALE_AFTER_MINUTES = 30;

function managedEntries(scan: InventoryScan, options: SweepOptions): ManagedEntry[] {
  const rows = new Map(scan.report.rows.map((r) => [`${r.vault}/${r.name.toLowerCase()}`, r]));
  const entries: ManagedEntry[] = [];
  for (const listing of scan.listings) {
    for (const props of listing.secrets ?? []) {
      const resolved = options.config.resolveSecret(props.vault, props.name, props.tags);
      const row = rows.get(`${props.vault.toLowerCase()}/${props.name.toLowerCase()}`);
      if (resolved && row) entries.push({ row, props, secret: resolved.secret, group: resolved.group });
    }
  }
  return entries;
}

function statusOf(outcome: StepOutcome, failedItems: number): StepResult['status'] {
  if (outcome.skipped) return 'skipped';
  if (outcome.problems.length === 0) return 'ok';
  const attempted = Object.values(outcome.counts).reduce((a, b) => a + b, 0);
  return failedItems > 0 && failedItems >= attempted ? 'failed' : 'partial';
}

async function runStep(step: SweepStep, ctx: SweepContext): Promise<StepResult> {
  const started = Date.now();
  try {
    const outcome = await step.run(ctx);
    const failed = outcome.counts.failed ?? 0;
    return {
      name: step.name,
      ...outcome,
      status: statusOf(outcome, failed),
      durationMs: Date.now() - started,
    };
  } catch (error) {
    const { code, message } = describeError(error);
    ctx.deps.log.error('sweep step failed', { step: step.name, code, message });
    return {
      name: step.name,
      counts: {},
      problems: [{ code, message }],
      status: 'failed',
      durationMs: Date.now() - started,
    };
  }
}

async function previousBeat(options: SweepOptions): Promise<SweepHeartbeat | undefined> {
  try {
    return await options.heartbeat?.latest();
  } catch (error) {
    options.engine.log.warn('could not read the previous sweep heartbeat', describeError(error));
    return undefined;
  }
}

export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const deps = options.engine;
  const startedAt = deps.clock.now();
  const steps: StepResult[] = [];
  const previous = await previousBeat(options);
  let scan: InventoryScan | undefined;
  const scanStarted = Date.now();
  try {
    // The inventory tells `overdue` by the previous sweep: hand it the beat already read.
    const last = options.heartbeat ? { record: async () => {}, latest: async () => previous } : undefined;
    scan = await collectInventory({ ...deps, heartbeat: last }, options.config, {
      ...(options.vaults ? { vaults: options.vaults } : {}),
      concurrency: Math.min(4, options.concurrency ?? 8),
    });
    const listingProblems = scan.report.problems.filter((p) => p.secret === undefined);
    steps.push({
      name: 'scan',
      counts: { vaults: scan.listings.length, secrets: scan.report.summary.total, runs: scan.runs.length },
      problems: scan.report.problems.map((p) => ({
        target: p.secret ? `${p.vault}/${p.secret}` : p.vault,
        code: p.code,
        message: p.message,
      })),
      status:
        listingProblems.length === 0
          ? 'ok'
          : listingProblems.length >= scan.listings.length
            ? 'failed'
            : 'partial',
      durationMs: Date.now() - scanStarted,
    });
  } catch (error) {
    const { code, message } = describeError(error);
    deps.log.error('sweep scan failed', { code, message });
    steps.push({
      name: 'scan',
      counts: {},
      problems: [{ code, message }],
      status: 'failed',
      durationMs: Date.now() - scanStarted,
    });
  }

  if (scan) {
    const ctx: SweepContext = {
      deps,
      config: options.config,
      now: scan.now,
      scan,
      managed: managedEntries(scan, options),
      runsByGroup: groupRuns(scan.runs),
      concurrency: options.concurrency ?? 8,
      retirers: options.retirers ?? {},
      ...(previous ? { previous } : {}),
      staleAfterMinutes: options.staleAfterMinutes ?? DEFAULT_STALE_AFTER_MINUTES,
      queuedGroups: new Set(),
    };
    for (const step of options.steps ?? SWEEP_STEPS) steps.push(await runStep(step, ctx));
  }

  steps.push(await digestStep(options, scan, steps));
  const heartbeat = buildHeartbeat(options, startedAt, scan, steps);
  await writeHeartbeat(options, heartbeat);
  return { heartbeat, steps, ...(scan ? { scan } : {}) };
}

async function digestStep(
  options: SweepOptions,
  scan: InventoryScan | undefined,
  steps: StepResult[],
): Promise<StepResult> {
  const started = Date.now();
  const deps = options.engine;
  const channels = digestChannels(options.config);
  if (channels.length === 0) {
    return {
      name: 'digest',
      counts: {},
      problems: [],
      skipped: 'no channel asks for the digest',
      status: 'skipped',
      durationMs: 0,
    };
  }
  const alert = { ...buildDigest(scan?.report, steps, deps.clock.now()), channels };
  const { deliveries, error } = await sendDigest(deps.notifier, alert, deps.clock.now());
  const failed = deliveries.filter((d) => d.status === 'failed');
  const problems = error
    ? [error]
    : failed.map((d) => ({
        target: d.channel,
        code: 'AlertNotDelivered',
        message: d.error ?? 'delivery failed',
      }));
  const counts = { sent: deliveries.length - failed.length, failed: failed.length };
  return {
    name: 'digest',
    counts,
    problems,
    status: statusOf({ counts, problems }, failed.length),
    durationMs: Date.now() - started,
  };
}

function buildHeartbeat(
  options: SweepOptions,
  startedAt: Date,
  scan: InventoryScan | undefined,
  steps: StepResult[],
): SweepHeartbeat {
  const problems: SweepProblem[] = steps.flatMap((s) => s.problems.map((p) => ({ step: s.name, ...p })));
  const outcome: SweepHeartbeat['outcome'] = !scan
    ? 'failed'
    : steps.some((s) => s.status === 'failed' || s.status === 'partial')
      ? 'partial'
      : 'ok';
  return {
    id: `${startedAt.toISOString()}-${randomUUID().slice(0, 8)}`,
    startedAt: startedAt.toISOString(),
    finishedAt: options.engine.clock.now().toISOString(),
    trigger: options.trigger ?? 'timer',
    outcome,
    vaults: scan?.listings.length ?? 0,
    secrets: scan?.report.summary.total ?? 0,
    steps: steps.map((s) => ({
      name: s.name,
      status: s.status,
      counts: { ...s.counts },
      problems: s.problems.length,
    })),
    problems: problems.slice(0, MAX_HEARTBEAT_PROBLEMS),
  };
}

async function writeHeartbeat(options: SweepOptions, beat: SweepHeartbeat): Promise<void> {
  const log = options.engine.log;
  const summary = {
    id: beat.id,
    outcome: beat.outcome,
    vaults: beat.vaults,
    secrets: beat.secrets,
    problems: beat.problems.length,
  };
  if (!options.heartbeat) {
    log.info('sweep finished (no heartbeat store configured)', summary);
    return;
  }
  try {
    await options.heartbeat.record(beat);
    log.info('sweep finished', summary);
  } catch (error) {
    log.error('could not write the sweep heartbeat', { ...summary, ...describeError(error) });
  }
}
