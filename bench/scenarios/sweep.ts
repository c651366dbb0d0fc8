/**
 * Item 4 of issue 11: the inventory report and the daily sweep over a vault with 10,000 secrets, 50 ms per
 * Azure call. The vault holds what a large one does: 2,000 secrets configured in rotation.json (JWT signing
 * secrets), 6,000 carrying Microsoft's rotation tags without a config entry (Azure OpenAI keys, managed by
 * tag inference) and 2,000 the rotator does not manage. Expiries spread over a year; 1 % are due (inside
 * the 30-day window), as after a day of missed events. Measured: wall time, Key Vault calls (target: the
 * listing pages, and nothing per secret that is not due), storage calls, and the peak memory the app's
 * process grew by. The queue worker is not served, so the runs the sweep queues stay queued.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Timer } from '@azure/functions';
import azureFunctions from '@azure/functions';
import { isTimerDefinition } from '../../functions/definition.js';
import { functionDefinitions } from '../../functions/definitions.js';
import type { SeedItem } from '../support/azure-side.js';
import { type Call, countByLabel, nowMs } from '../support/calls.js';
import { armId, type BenchStack, startBenchStack } from '../support/stack.js';

const VAULT = 'kv-sweep';
const PAGE = 25;

export interface Pass {
  name: string;
  wallMs: number;
  keyVaultCalls: number;
  listingPages: number;
  keyVaultOther: [string, number][];
  storageCalls: number;
  storage: [string, number][];
  /** Peak RSS and heap above what the process used just before (MiB). */
  rssGrowthMiB: number;
  heapGrowthMiB: number;
  peakRssMiB: number;
  notes: string;
}

export interface SweepResult {
  latencyMs: number;
  secrets: number;
  configured: number;
  tagged: number;
  unmanaged: number;
  due: number;
  dueGroups: number;
  passes: Pass[];
}

/** Secret i of the vault: its kind and when it expires. */
function layout(total: number) {
  const configured = Math.round(total * 0.2);
  const tagged = Math.round(total * 0.6);
  const kindOf = (i: number) =>
    i < configured ? 'configured' : i < configured + tagged ? 'tagged' : 'unmanaged';
  // 1 % due (2..29 days), the rest between 31 and 395 days.
  const expiresInDays = (i: number) => (i % 100 === 7 ? 2 + (i % 28) : 31 + (i % 365));
  return { configured, tagged, kindOf, expiresInDays };
}

function gcNow(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}

/** Samples memory while `work` runs; growth is measured from just before it. */
async function measured<T>(work: () => Promise<T>) {
  gcNow();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const timer = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }, 5);
  const started = nowMs();
  try {
    const value = await work();
    const after = process.memoryUsage();
    peakRss = Math.max(peakRss, after.rss);
    peakHeap = Math.max(peakHeap, after.heapUsed);
    return {
      value,
      wallMs: nowMs() - started,
      rssGrowthMiB: (peakRss - before.rss) / 1048576,
      heapGrowthMiB: (peakHeap - before.heapUsed) / 1048576,
      peakRssMiB: peakRss / 1048576,
    };
  } finally {
    clearInterval(timer);
  }
}

function pass(
  name: string,
  calls: Call[],
  m: Omit<Pass, 'name' | 'keyVaultCalls' | 'listingPages' | 'keyVaultOther' | 'storageCalls' | 'storage'>,
): Pass {
  const kv = calls.filter((c) => c.kind === 'keyvault');
  const pages = kv.filter((c) => c.label === 'kv list secrets (page)').length;
  const other = [...countByLabel(kv.filter((c) => c.label !== 'kv list secrets (page)'))].map(
    ([label, { count }]) => [label, count] as [string, number],
  );
  const storage = calls.filter((c) => c.kind === 'storage');
  return {
    name,
    keyVaultCalls: kv.length,
    listingPages: pages,
    keyVaultOther: other,
    storageCalls: storage.length,
    storage: [...countByLabel(storage)].map(([label, { count }]) => [label, count]),
    ...m,
  };
}

export async function runSweep(options: {
  secrets: number;
  latencyMs: number;
  log: (line: string) => void;
}): Promise<SweepResult> {
  const { configured, tagged, kindOf, expiresInDays } = layout(options.secrets);
  const name = (i: number) => `app-secret-${String(i).padStart(5, '0')}`;
  const secrets: Record<string, object> = {};
  for (let i = 0; i < configured; i++) secrets[name(i)] = { provider: 'jwt-secret', settings: {} };
  const stack: BenchStack = await startBenchStack({
    vaults: [VAULT],
    resources: [],
    config: () => ({ vaults: [{ name: VAULT }], secrets }),
    latencyMs: 0,
    functions: (d) => d.name === 'inventoryReport' || d.name === 'dailySweep',
  });
  try {
    const items = Array.from({ length: options.secrets }, (_, i): SeedItem => {
      const kind = kindOf(i);
      const address = armId('Microsoft.CognitiveServices/accounts', `oai-sweep-${i}`);
      const tags: Record<string, string> =
        kind === 'tagged'
          ? { CredentialId: 'key1', ProviderAddress: address, ValidityPeriodDays: '90' }
          : kind === 'configured'
            ? { CredentialId: 'kid-0' }
            : { owner: 'payments' };
      return { vault: VAULT, name: name(i), generate: 'random', expiresInDays: expiresInDays(i), tags };
    });
    await stack.azure.record(false);
    const seedStarted = nowMs();
    await stack.azure.seed(items, 48);
    options.log(`  seeded ${options.secrets} secrets in ${((nowMs() - seedStarted) / 1000).toFixed(1)} s`);
    await stack.azure.record(true);
    await stack.azure.setLatency(options.latencyMs);
    const due = items.filter(
      (item, i) => kindOf(i) !== 'unmanaged' && (item.expiresInDays ?? 99) < 30,
    ).length;

    const passes: Pass[] = [];
    let mark = await stack.azure.mark();
    const inventory = await measured(async () => {
      const response = await fetch(`${stack.host.url}/api/reports/inventory?format=json`, {
        headers: { 'x-functions-key': stack.functionKey },
      });
      const body = (await response.json()) as { summary?: { total?: number } };
      if (response.status !== 200) throw new Error(`inventory answered ${response.status}`);
      return body;
    });
    passes.push(
      pass('inventory report (`GET /api/reports/inventory`)', await stack.azure.calls(mark), {
        wallMs: inventory.wallMs,
        rssGrowthMiB: inventory.rssGrowthMiB,
        heapGrowthMiB: inventory.heapGrowthMiB,
        peakRssMiB: inventory.peakRssMiB,
        notes: `${inventory.value.summary?.total ?? '?'} secrets in the report`,
      }),
    );
    options.log(`  inventory: ${(inventory.wallMs / 1000).toFixed(1)} s`);

    const sweepFunction = functionDefinitions.find((d) => d.name === 'dailySweep');
    if (!sweepFunction || !isTimerDefinition(sweepFunction))
      throw new Error('dailySweep is a timer function');
    const at = new Date().toISOString();
    const timer: Timer = {
      isPastDue: false,
      schedule: { adjustForDST: false },
      scheduleStatus: { last: at, next: at, lastUpdated: at },
    };
    mark = await stack.azure.mark();
    const sweep = await measured(() =>
      Promise.resolve(
        sweepFunction.handler(
          timer,
          new azureFunctions.InvocationContext({ functionName: 'dailySweep', logHandler: () => {} }),
        ),
      ),
    );
    const sweepCalls = await stack.azure.calls(mark);
    const queued = sweepCalls.filter((c) => c.label.startsWith('queue send')).length;
    passes.push(
      pass('daily sweep (`dailySweep`)', sweepCalls, {
        wallMs: sweep.wallMs,
        rssGrowthMiB: sweep.rssGrowthMiB,
        heapGrowthMiB: sweep.heapGrowthMiB,
        peakRssMiB: sweep.peakRssMiB,
        notes: `queued ${queued} run(s) for due secrets`,
      }),
    );
    options.log(`  sweep: ${(sweep.wallMs / 1000).toFixed(1)} s, queued ${queued}`);
    return {
      latencyMs: options.latencyMs,
      secrets: options.secrets,
      configured,
      tagged,
      unmanaged: options.secrets - configured - tagged,
      due,
      dueGroups: queued,
      passes,
    };
  } finally {
    await stack.stop();
  }
}

export const LISTING_PAGE_SIZE = PAGE;
