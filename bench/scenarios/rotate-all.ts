/**
 * Item 3 of issue 11: `POST /api/rotations` over every secret of a vault, 100 and 1,000 secrets, with
 * 50 ms per Azure call. Each Azure OpenAI account's key is held by two secrets (one credential group, one
 * run), and every group restarts one of ten App Service sites, as a fleet of services would. Measured:
 * wall time from the POST until the last run ended, the most runs executing at once (a run executes from
 * its `claimed` write to its final write, observed on the app's own journal writes — no extra calls),
 * calls made, and the ratio to one rotation's wall time (one group rotated the same way, same stack).
 */
import type { ResourceDeclaration } from '../../local/emulator/index.js';
import type { RunRecord } from '../../rotation/ports.js';
import { type Call, countByLabel, nowMs, peakOverlap } from '../support/calls.js';
import { armId, type BenchStack, callHost, RG, startBenchStack } from '../support/stack.js';
import { median } from '../support/stats.js';

const SITES = 10;
const PER_GROUP = 2;

export interface BatchResult {
  secrets: number;
  groups: number;
  /** POST answered (200: every run finished within HTTP_WAIT_SECONDS; 202: still running). */
  httpStatus: number;
  httpMs: number;
  wallMs: number;
  statuses: Record<string, number>;
  peakRuns: number;
  /** Run-time executing ÷ wall time: how many runs executed at once on average. */
  meanRuns: number;
  /** Median time one run executed (claimed → final write) within the batch. */
  medianRunMs: number;
  /** POST → first run claimed (selection: listing the vault, queueing the groups). */
  firstClaimMs: number;
  peakWorkers: number;
  /** Worker time ÷ wall time (queue messages handled at once, on average). */
  meanWorkers: number;
  medianWorkerMs: number;
  concurrency: number;
  calls: { keyVault: number; arm: number; data: number; storage: number; restarts: number };
  byLabel: [string, number][];
}

export interface RotateAllResult {
  latencyMs: number;
  concurrency: number;
  /** One group rotated the same way: POST → its final journal write, and the run's own time. */
  single: { wallMs: number; runMs: number; status: string };
  batches: BatchResult[];
}

const vaultName = (size: number) => `kv-fleet-${size}`;
const account = (size: number, i: number) => `oai-f${size}-${i}`;
const secretName = (size: number, i: number) => `fleet-${size}-${Math.floor(i / PER_GROUP)}-${i % PER_GROUP}`;

function fleet(sizes: number[]) {
  const resources: ResourceDeclaration[] = [];
  for (let s = 0; s < SITES; s++)
    resources.push({ type: 'Microsoft.Web/sites', resourceGroup: RG, name: `site-${s}` });
  const secrets: Record<string, object> = {};
  const consumers: Record<string, object> = {};
  for (let s = 0; s < SITES; s++) {
    consumers[`site-${s}`] = { type: 'app-service', resourceId: armId('Microsoft.Web/sites', `site-${s}`) };
  }
  for (const size of sizes) {
    for (let g = 0; g < size / PER_GROUP; g++) {
      resources.push({
        type: 'Microsoft.CognitiveServices/accounts',
        resourceGroup: RG,
        name: account(size, g),
        kind: 'OpenAI',
      });
    }
    for (let i = 0; i < size; i++) {
      const g = Math.floor(i / PER_GROUP);
      secrets[secretName(size, i)] = {
        vault: vaultName(size),
        provider: 'azure-cognitive-services',
        settings: { resourceId: armId('Microsoft.CognitiveServices/accounts', account(size, g)) },
        consumers: [`site-${g % SITES}`],
      };
    }
  }
  const config = {
    vaults: sizes.map((size) => ({ name: vaultName(size) })),
    defaults: { validityDays: 90, minIntervalHours: 0, graceDays: 7 },
    consumers,
    secrets,
  };
  return { resources, config };
}

/** Run lifetimes as the app journals them: start at `claimed`, end at the final write. */
class RunWatch {
  readonly active = new Map<string, number>();
  readonly spans: { id: string; start: number; end: number; status: string }[] = [];
  readonly listeners = new Set<() => void>();

  observe(run: RunRecord): void {
    const now = nowMs();
    const final = run.finishedAt !== undefined && run.status !== 'running' && run.status !== 'queued';
    if (run.status === 'running' && !this.active.has(run.id)) this.active.set(run.id, now);
    if (final) {
      const start = this.active.get(run.id) ?? now;
      this.active.delete(run.id);
      this.spans.push({ id: run.id, start, end: now, status: run.status });
      for (const listener of this.listeners) listener();
    }
  }

  /** Resolves when `count` runs of `vault` have ended since `from` (a span index). */
  until(from: number, count: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.spans.length - from >= count) {
          this.listeners.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`only ${this.spans.length - from} of ${count} runs ended within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }
}

function watchJournal(stack: BenchStack): RunWatch {
  const watch = new RunWatch();
  const journal = stack.app.engine.journal;
  const replace = journal.replace.bind(journal);
  journal.replace = async (run, etag) => {
    const result = await replace(run, etag);
    watch.observe(run);
    return result;
  };
  return watch;
}

function summarize(calls: Call[]): BatchResult['calls'] {
  return {
    keyVault: calls.filter((c) => c.kind === 'keyvault').length,
    arm: calls.filter((c) => c.kind === 'arm').length,
    data: calls.filter((c) => c.kind === 'data').length,
    storage: calls.filter((c) => c.kind === 'storage').length,
    restarts: calls.filter((c) => c.label === 'arm restart').length,
  };
}

async function rotateVault(stack: BenchStack, watch: RunWatch, size: number): Promise<BatchResult> {
  const groups = size / PER_GROUP;
  const mark = await stack.azure.mark();
  const spans = watch.spans.length;
  const workersBefore = stack.workers.length;
  stack.peakInFlight = 0;
  const started = nowMs();
  const answer = await callHost(stack, `/api/rotations?vault=${vaultName(size)}`, {
    select: { all: true },
    reason: `benchmark: rotate all ${size} secrets`,
  });
  const httpMs = nowMs() - started;
  if (answer.status !== 200 && answer.status !== 202) {
    throw new Error(
      `POST /api/rotations answered ${answer.status}: ${JSON.stringify(answer.json).slice(0, 300)}`,
    );
  }
  await watch.until(spans, groups, 600_000);
  const wallMs = Math.max(...watch.spans.slice(spans).map((s) => s.end)) - started;
  // Let the worker invocations return (leases released) before counting.
  for (let i = 0; i < 50 && stack.inFlight > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  const calls = await stack.azure.calls(mark);
  const ended = watch.spans.slice(spans);
  const invocations = stack.workers.slice(workersBefore);
  const statuses: Record<string, number> = {};
  for (const span of ended) statuses[span.status] = (statuses[span.status] ?? 0) + 1;
  return {
    secrets: size,
    groups,
    httpStatus: answer.status,
    httpMs,
    wallMs,
    statuses,
    peakRuns: peakOverlap(ended),
    meanRuns: ended.reduce((sum, span) => sum + span.end - span.start, 0) / wallMs,
    medianRunMs: median(ended.map((span) => span.end - span.start)),
    firstClaimMs: Math.min(...ended.map((span) => span.start)) - started,
    peakWorkers: stack.peakInFlight,
    meanWorkers: invocations.reduce((sum, w) => sum + w.endMs - w.startMs, 0) / wallMs,
    medianWorkerMs: median(invocations.map((w) => w.endMs - w.startMs)),
    concurrency: stack.app.settings.ROTATION_CONCURRENCY,
    calls: summarize(calls),
    byLabel: [...countByLabel(calls)].map(([label, { count }]) => [label, count]),
  };
}

export async function runRotateAll(options: {
  sizes: number[];
  latencyMs: number;
  log: (line: string) => void;
}): Promise<RotateAllResult> {
  const { resources, config } = fleet(options.sizes);
  const stack = await startBenchStack({
    vaults: options.sizes.map(vaultName),
    resources,
    config: () => config,
    latencyMs: 0,
    // The batch is started over HTTP and executed by the queue worker; nothing else runs.
    functions: (d) => d.name === 'rotateMany' || d.name === 'rotationWorker',
  });
  try {
    const items = options.sizes.flatMap((size) =>
      Array.from({ length: size }, (_, i) => {
        const id = armId('Microsoft.CognitiveServices/accounts', account(size, Math.floor(i / PER_GROUP)));
        return {
          vault: vaultName(size),
          name: secretName(size, i),
          generate: { cognitiveKey1: id },
          tags: { CredentialId: 'key1', ProviderAddress: id },
          expiresInDays: 60,
        };
      }),
    );
    await stack.azure.seed(items);
    await stack.azure.setLatency(options.latencyMs);
    // One rotation, the same way; the first one warms the process (SDK clients, challenge, tables).
    const watch = watchJournal(stack);
    const smallest = Math.min(...options.sizes);
    const one = async (group: number) => {
      const spans = watch.spans.length;
      const started = nowMs();
      const answer = await callHost(stack, `/api/rotations?vault=${vaultName(smallest)}`, {
        select: { names: [secretName(smallest, group * PER_GROUP)] },
        reason: 'benchmark: one rotation',
      });
      await watch.until(spans, 1, 60_000);
      const span = watch.spans[spans]!;
      return {
        wallMs: span.end - started,
        runMs: span.end - span.start,
        status: `${span.status} (HTTP ${answer.status})`,
      };
    };
    await one(0);
    const single = await one(1);
    options.log(`  one rotation: ${Math.round(single.wallMs)} ms (${single.status})`);
    const batches: BatchResult[] = [];
    for (const size of options.sizes) {
      const result = await rotateVault(stack, watch, size);
      options.log(
        `  ${size} secrets: ${(result.wallMs / 1000).toFixed(1)} s, peak ${result.peakRuns} runs at once, ` +
          `HTTP ${result.httpStatus} after ${(result.httpMs / 1000).toFixed(1)} s, ${JSON.stringify(result.statuses)}`,
      );
      batches.push(result);
    }
    return {
      latencyMs: options.latencyMs,
      concurrency: stack.app.settings.ROTATION_CONCURRENCY,
      single,
      batches,
    };
  } finally {
    await stack.stop();
  }
}
