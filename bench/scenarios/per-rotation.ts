/**
 * Items 1 and 2 of issue 11: the calls one rotation makes, per strategy, against the minimum a correct run
 * needs; and the engine's overhead over the latency it cannot avoid.
 *
 * One stack, one vault, one group per strategy: an Azure OpenAI key held by two secrets (key pair,
 * Cognitive Services) restarting an App Service site and calling a webhook; an Azure Communication
 * Services connection string (key pair) and a JWT signing secret (generated), each calling the webhook;
 * a Groq key (manual: the run opens a task for a human and alerts the channel). Every rotation is
 * triggered the way Azure triggers it — a `SecretNearExpiry` delivered to `keyVaultEvents`, which queues a
 * run for `rotationWorker` — and the vault's events are subscribed back to `keyVaultEvents`, so the
 * `SecretNewVersionCreated` of every version the run writes is handled as in Azure and counted too.
 */
import { randomUUID } from 'node:crypto';
import { concurrencyOf, slotKey } from '../../rotation/engine/slots.js';
import type { CredentialGroup, RunRecord } from '../../rotation/ports.js';
import { type Call, countByLabel, nowMs } from '../support/calls.js';
import { type HttpsRoundTrip, measureHttpsRoundTrip } from '../support/https-round-trip.js';
import { armId, type BenchStack, RG, SUB, startBenchStack } from '../support/stack.js';
import { median } from '../support/stats.js';
import { measureStorageRoundTrip, type StorageRoundTrip } from '../support/storage-round-trip.js';
import { type FloorSample, floorGroup, floorOnce } from './floor.js';

const VAULT = 'kv-bench';
const OAI = armId('Microsoft.CognitiveServices/accounts', 'oai-bench');
const ACS = armId('Microsoft.Communication/communicationServices', 'acs-bench');
const SITE = armId('Microsoft.Web/sites', 'app-bench');
/** The floor's own resources (`floor.ts`): its keys never touch the engine's. */
const OAI_FLOOR = armId('Microsoft.CognitiveServices/accounts', 'oai-floor');
const ACS_FLOOR = armId('Microsoft.Communication/communicationServices', 'acs-floor');

export interface Strategy {
  name: string;
  provider: string;
  /** The group's secrets; the first is the one whose event triggers the run. */
  secrets: string[];
  consumers: string[];
  /** Webhook consumers (each reads its signing key from Key Vault at delivery). */
  webhooks: number;
  /** A human mints the credential: the run ends `manual-action-required` with a task. */
  manual?: boolean;
  /** The calls a correct run needs, by operation, and how the issue counts them. */
  minimum: { calls: Record<string, number>; formula: string };
  /** Sequential stages a correct run cannot overlap (each costs one round trip). */
  chain: { stages: number; formula: string };
  /** The provider resource of the floor's twin group (`floor.ts`), for providers that have one. */
  floorResource?: string;
}

export interface RotationSample {
  runStatus: string;
  /** Worker invocation wall time (message received → handler returned). */
  workerMs: number;
  /** When the worker invocation started (epoch ms, the clock the call log uses too). */
  workerStartMs: number;
  /** Event POSTed → worker done. */
  endToEndMs: number;
  /** Time at least one latency-bearing call (Key Vault, ARM, data plane, consumer) was in flight. */
  networkBusyMs: number;
  /** Time only storage calls (journal, leases, queue) were in flight. The rest of the wall is CPU. */
  storageOnlyMs: number;
  trigger: Call[];
  worker: Call[];
  /** Calls caused by the run after it ended (Key Vault events for the versions it wrote). */
  after: Call[];
}

export interface StrategyResult {
  strategy: Strategy;
  first: RotationSample;
  steady: RotationSample[];
  /** The same chain made by hand, one round after each steady round (automatic strategies). */
  floor: FloorSample[];
  /** The same chain by hand inside DESIGN's storage (the group's lease, journal writes), after each floor round. */
  fenced: FloorSample[];
}

/** 20 copies of one event (Event Grid delivers at least once), sent while the run is still queued. */
export interface DuplicateResult {
  copies: number;
  accepted: number;
  queueMessages: number;
  workerInvocations: number;
  azureCalls: number;
  storageCalls: number;
}

export interface PerRotationResult {
  latencyMs: number;
  results: StrategyResult[];
  duplicates: DuplicateResult;
  storageRoundTrip: StorageRoundTrip;
  /** This machine's price for a call: bare Node HTTPS to a bare server answering after the latency. */
  httpsRoundTrip: HttpsRoundTrip;
}

const strategies: Strategy[] = [
  {
    name: 'key pair: Azure OpenAI key held by 2 secrets; App Service restart + webhook',
    provider: 'azure-cognitive-services',
    secrets: ['oai-key', 'oai-key-realtime'],
    consumers: ['app-bench', 'hook'],
    webhooks: 1,
    minimum: {
      calls: {
        'kv read': 2,
        'arm regenerateKey': 1,
        'data validate (cognitive)': 1,
        'kv write': 2,
        'arm restart': 1,
        'consumer hook POST': 1,
      },
      formula: '2 reads + regenerate + validate + 2 writes + 2 consumers',
    },
    chain: { stages: 5, formula: 'reads ∥ → regenerate → validate → writes ∥ → consumers ∥' },
    floorResource: OAI_FLOOR,
  },
  {
    name: 'key pair: Communication Services connection string, 1 secret; webhook',
    provider: 'azure-communication',
    secrets: ['acs-connection'],
    consumers: ['hook'],
    webhooks: 1,
    minimum: {
      calls: {
        'kv read': 1,
        'arm regenerateKey': 1,
        'data validate (communication)': 1,
        'kv write': 1,
        'consumer hook POST': 1,
      },
      formula: 'read + regenerate + validate + write + consumer',
    },
    chain: { stages: 5, formula: 'read → regenerate → validate → write → consumer' },
    floorResource: ACS_FLOOR,
  },
  {
    name: 'generated: JWT signing secret, 1 secret; webhook',
    provider: 'jwt-secret',
    secrets: ['jwt-signing'],
    consumers: ['hook'],
    webhooks: 1,
    minimum: {
      calls: { 'kv read': 1, 'kv write': 1, 'consumer hook POST': 1 },
      formula: 'read + write + consumer (issued and validated in process)',
    },
    chain: { stages: 3, formula: 'read → write → consumer' },
  },
  {
    name: 'manual: Groq key, 1 secret (the run opens a task for a human)',
    provider: 'groq',
    secrets: ['groq-key'],
    consumers: [],
    webhooks: 0,
    manual: true,
    minimum: { calls: { 'kv read': 1, 'consumer teams POST': 1 }, formula: 'read + alert to the channel' },
    chain: { stages: 2, formula: 'read → alert' },
  },
];

function benchConfig(receiverOrigin: string) {
  const secret = (provider: string, settings: object, consumers: string[]) => ({
    provider,
    settings,
    consumers,
    owners: ['bench@example.com'],
  });
  return {
    vaults: [{ name: VAULT }],
    // Spacing off: the benchmark rotates the same groups again and again.
    defaults: { validityDays: 90, minIntervalHours: 0, graceDays: 7 },
    channels: { ops: { type: 'teams', url: `${receiverOrigin}/teams` } },
    consumers: {
      'app-bench': { type: 'app-service', resourceId: SITE },
      hook: { type: 'webhook', url: `${receiverOrigin}/hook`, signingKey: { secretRef: 'hook-signing-key' } },
    },
    secrets: {
      'oai-key': secret('azure-cognitive-services', { resourceId: OAI }, ['app-bench', 'hook']),
      'oai-key-realtime': secret('azure-cognitive-services', { resourceId: OAI }, ['app-bench', 'hook']),
      'acs-connection': secret('azure-communication', { resourceId: ACS, holds: 'connectionString' }, [
        'hook',
      ]),
      'jwt-signing': secret('jwt-secret', {}, ['hook']),
      'groq-key': secret('groq', {}, []),
    },
  };
}

export function nearExpiryEvent(vault: string, name: string, version: string) {
  return {
    id: randomUUID(),
    topic: `/subscriptions/${SUB}/resourceGroups/rotator-local/providers/Microsoft.KeyVault/vaults/${vault}`,
    subject: name,
    eventType: 'Microsoft.KeyVault.SecretNearExpiry',
    eventTime: new Date().toISOString(),
    data: {
      Id: `https://${vault}.vault.azure.net/secrets/${name}/${version}`,
      VaultName: vault,
      ObjectType: 'Secret',
      ObjectName: name,
      Version: version,
      NBF: null,
      EXP: null,
    },
    dataVersion: '1',
    metadataVersion: '1',
  };
}

/** Total time covered by the union of the calls' intervals. */
export function busyTime(calls: readonly Call[]): number {
  const spans = calls.map((c) => [c.startMs, c.endMs] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let open: [number, number] | undefined;
  for (const [start, end] of spans) {
    if (!open || start > open[1]) {
      if (open) total += open[1] - open[0];
      open = [start, end];
    } else open[1] = Math.max(open[1], end);
  }
  if (open) total += open[1] - open[0];
  return total;
}

export const isAzureCall = (c: Call) => c.kind !== 'storage';

async function seed(stack: BenchStack): Promise<void> {
  const tags = (credentialId: string, address?: string) => ({
    CredentialId: credentialId,
    ...(address ? { ProviderAddress: address } : {}),
  });
  await stack.azure.seed([
    { vault: VAULT, name: 'oai-key', generate: { cognitiveKey1: OAI }, tags: tags('key1', OAI) },
    { vault: VAULT, name: 'oai-key-realtime', generate: { cognitiveKey1: OAI }, tags: tags('key1', OAI) },
    {
      vault: VAULT,
      name: 'acs-connection',
      generate: { communicationPrimary: ACS },
      tags: tags('Primary', ACS),
    },
    { vault: VAULT, name: 'jwt-signing', generate: 'random', tags: tags('kid-0') },
    { vault: VAULT, name: 'groq-key', generate: { mint: 'groq' }, tags: tags('gen-1') },
    { vault: VAULT, name: 'hook-signing-key', generate: 'random' },
    // The floor's twins (floor.ts): not in rotation.json, each on its own resource.
    { vault: VAULT, name: 'floor-oai-key', generate: { cognitiveKey1: OAI_FLOOR }, tags: tags('key1') },
    {
      vault: VAULT,
      name: 'floor-oai-key-realtime',
      generate: { cognitiveKey1: OAI_FLOOR },
      tags: tags('key1'),
    },
    {
      vault: VAULT,
      name: 'floor-acs-connection',
      generate: { communicationPrimary: ACS_FLOOR },
      tags: tags('Primary'),
    },
    { vault: VAULT, name: 'floor-jwt-signing', generate: 'random', tags: tags('kid-0') },
  ]);
}

/** Read by the benchmark's observer, not the rotator's client: the first run pays its own first calls. */
function currentVersion(stack: BenchStack, name: string): Promise<string> {
  return stack.azure.version(VAULT, name);
}

/**
 * Takes and lets go of every run slot once, so each slot's lock blob exists, as in any deployment that has
 * run before: otherwise the first run to draw each of the 8 slots pays a blob PUT and a second lease
 * acquire (+7 ms here), which a one-time setup of a new storage account is, not a rotation.
 */
async function touchRunSlots(stack: BenchStack): Promise<void> {
  const { locks, settings } = stack.app.engine;
  for (let i = 0; i < concurrencyOf({ settings }); i++) {
    const lease = await locks.tryAcquire(slotKey(i), 15);
    await lease?.release();
  }
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rotateOnce(stack: BenchStack, strategy: Strategy): Promise<RotationSample> {
  const primary = strategy.secrets[0]!;
  const version = await currentVersion(stack, primary);
  await stack.azure.deliveriesIdle();
  const mark = await stack.azure.mark();
  const done = stack.workerDone((m) => (m as { secret?: string }).secret === primary);
  const started = nowMs();
  const status = await stack.deliverEvent(nearExpiryEvent(VAULT, primary, version));
  if (status >= 300) throw new Error(`keyVaultEvents answered ${status}`);
  const worker = await done;
  const endToEndMs = nowMs() - started;
  // The versions the run wrote raise SecretNewVersionCreated; let those deliveries finish.
  await settle(100);
  await stack.azure.deliveriesIdle();
  await settle(50);
  const all = await stack.azure.calls(mark);
  const byWorker = all.filter((c) => c.startMs >= worker.startMs && c.startMs <= worker.endMs);
  const run = await latestRun(stack, strategy);
  // Only the SecretNewVersionCreated handler reads versions by id in these flows: those are "after".
  const isEvent = (c: Call) => c.label === 'kv read version';
  return {
    runStatus: run?.status ?? 'none',
    workerMs: worker.endMs - worker.startMs,
    workerStartMs: worker.startMs,
    endToEndMs,
    networkBusyMs: busyTime(byWorker.filter((c) => isAzureCall(c) && !isEvent(c))),
    storageOnlyMs:
      busyTime(byWorker.filter((c) => !isEvent(c))) -
      busyTime(byWorker.filter((c) => isAzureCall(c) && !isEvent(c))),
    trigger: all.filter((c) => c.startMs < worker.startMs),
    worker: byWorker.filter((c) => !isEvent(c)),
    after: all.filter((c) => isEvent(c) || c.startMs > worker.endMs),
  };
}

/**
 * `BENCH_TIMELINE=1`: the worker's calls of one rotation in the order they started, in ms from the first
 * (what the critical path waits on, and where the gaps between calls are).
 */
function logTimeline(sample: RotationSample, log: (line: string) => void): void {
  // The call log and the worker's start share one clock (epoch ms), so the gaps before the first call
  // and after the last are the worker's own.
  logCalls(sample.workerStartMs, sample.worker, sample.workerMs, 'worker invocation', log);
}

function logCalls(
  origin: number,
  calls: readonly Call[],
  wallMs: number,
  what: string,
  log: (line: string) => void,
): void {
  const at = (t: number) => (t - origin).toFixed(1).padStart(6);
  log(`    ${at(origin)}           ${what} starts`);
  for (const c of [...calls].sort((a, b) => a.startMs - b.startMs))
    log(`    ${at(c.startMs)} → ${at(c.endMs)}  ${c.kind} ${c.label}`);
  log(`    ${at(origin + wallMs)}           ${what} ends`);
}

/** Sends `copies` copies of one SecretNearExpiry, one after another, and counts what they cost. */
async function duplicates(stack: BenchStack, copies: number): Promise<DuplicateResult> {
  const name = 'jwt-signing';
  const version = await currentVersion(stack, name);
  await stack.azure.deliveriesIdle();
  const mark = await stack.azure.mark();
  const workersBefore = stack.workers.length;
  const copy = nearExpiryEvent(VAULT, name, version);
  const first = stack.workerDone((m) => (m as { secret?: string }).secret === name);
  const statuses: number[] = [];
  for (let i = 0; i < copies; i++) statuses.push(await stack.deliverEvent(copy));
  await first;
  // Let any further messages for the same run be picked up and completed (quiet for 500 ms, at most 5 s).
  for (let quiet = 0, waited = 0; quiet < 5 && waited < 50; waited++) {
    await settle(100);
    quiet = stack.inFlight === 0 ? quiet + 1 : 0;
  }
  await stack.azure.deliveriesIdle();
  const calls = await stack.azure.calls(mark);
  const runs = stack.workers.slice(workersBefore);
  return {
    copies,
    accepted: statuses.filter((s) => s < 300).length,
    queueMessages: calls.filter((c) => c.label.startsWith('queue send')).length,
    workerInvocations: runs.length,
    azureCalls: calls.filter(isAzureCall).length,
    storageCalls: calls.filter((c) => !isAzureCall(c)).length,
  };
}

async function groupOf(stack: BenchStack, strategy: Strategy): Promise<CredentialGroup> {
  const { catalog } = stack.app.engine;
  const secret = await catalog.resolveSecret(VAULT, strategy.secrets[0]!);
  const group = secret && (await catalog.resolveGroup(VAULT, secret.group));
  if (!group) throw new Error(`${strategy.secrets[0]} is not managed`);
  return group;
}

async function latestRun(stack: BenchStack, strategy: Strategy): Promise<RunRecord | undefined> {
  let latest: RunRecord | undefined;
  const group = (await stack.app.engine.catalog.resolveSecret(VAULT, strategy.secrets[0]!))?.group ?? '';
  for await (const run of stack.app.engine.journal.list({ vault: VAULT, group })) {
    if (!latest || run.createdAt >= latest.createdAt) latest = run;
  }
  return latest;
}

export async function runPerRotation(options: {
  latencyMs: number;
  rounds: number;
  log: (line: string) => void;
}): Promise<PerRotationResult> {
  const stack = await startBenchStack({
    vaults: [VAULT],
    resources: [
      { type: 'Microsoft.CognitiveServices/accounts', resourceGroup: RG, name: 'oai-bench', kind: 'OpenAI' },
      { type: 'Microsoft.Communication/communicationServices', resourceGroup: RG, name: 'acs-bench' },
      { type: 'Microsoft.Web/sites', resourceGroup: RG, name: 'app-bench' },
      { type: 'Microsoft.CognitiveServices/accounts', resourceGroup: RG, name: 'oai-floor', kind: 'OpenAI' },
      { type: 'Microsoft.Communication/communicationServices', resourceGroup: RG, name: 'acs-floor' },
    ],
    config: benchConfig,
    latencyMs: 0,
  });
  try {
    await seed(stack);
    const webhook = `${stack.host.url}/runtime/webhooks/eventgrid?functionName=keyVaultEvents&code=${encodeURIComponent(stack.functionKey)}`;
    await stack.azure.subscribe(VAULT, webhook);
    await stack.azure.setLatency(options.latencyMs);
    const results: StrategyResult[] = [];
    for (const strategy of strategies) {
      const first = await rotateOnce(stack, strategy);
      if (results.length === 0) await touchRunSlots(stack);
      // A manual run waits for its human: a second event for the same version reports that run.
      const steady: RotationSample[] = strategy.manual ? [first] : [];
      const floor: FloorSample[] = [];
      const fenced: FloorSample[] = [];
      // Every automatic strategy is measured `rounds` times after its first run (a median, not one
      // sample), each round followed by a round of the floor (the same chain without the engine), bare
      // and then fenced.
      const rounds = strategy.manual ? 0 : options.rounds;
      const twin =
        rounds > 0 ? floorGroup(await groupOf(stack, strategy), strategy.floorResource) : undefined;
      // Their first runs pay the floor's own first calls (and the fenced one's lease blob and table).
      if (twin) for (const kind of ['bare', 'fenced'] as const) await floorOnce(stack, twin, kind);
      for (let i = 0; i < rounds; i++) {
        const sample = await rotateOnce(stack, strategy);
        if (process.env.BENCH_TIMELINE === 'all') logTimeline(sample, options.log);
        steady.push(sample);
        const bare = await floorOnce(stack, twin!);
        if (process.env.BENCH_TIMELINE === 'all')
          logCalls(bare.startMs, bare.calls, bare.wallMs, 'floor', options.log);
        floor.push(bare);
        const fence = await floorOnce(stack, twin!, 'fenced');
        if (process.env.BENCH_TIMELINE === 'all')
          logCalls(fence.startMs, fence.calls, fence.wallMs, 'floor, fenced', options.log);
        fenced.push(fence);
      }
      const last = steady.at(-1)!;
      if (process.env.BENCH_TIMELINE === '1') logTimeline(last, options.log);
      const calls = [...last.trigger, ...last.worker, ...last.after].filter(isAzureCall).length;
      const medianOf = (values: number[]) => (values.length === 0 ? '–' : `${Math.round(median(values))} ms`);
      options.log(
        `  ${strategy.provider}: ${last.runStatus}, ${calls} Azure calls, worker ${medianOf(steady.map((x) => x.workerMs))} (median), floor ${medianOf(floor.map((x) => x.wallMs))}, fenced ${medianOf(fenced.map((x) => x.wallMs))}`,
      );
      results.push({ strategy, first, steady, floor, fenced });
    }
    const dup = await duplicates(stack, 20);
    options.log(
      `  20 copies of one event: ${dup.queueMessages} queue message(s), ${dup.workerInvocations} worker run(s)`,
    );
    const storageRoundTrip = await measureStorageRoundTrip(stack.azure.storageConnectionString);
    options.log(`  storage round trip: ${storageRoundTrip.medianMs.toFixed(1)} ms to Azurite, hot`);
    const httpsRoundTrip = await measureHttpsRoundTrip(options.latencyMs);
    options.log(
      `  bare HTTPS call: ${httpsRoundTrip.medianMs.toFixed(1)} ms with ${options.latencyMs} ms latency (a bare server)`,
    );
    return { latencyMs: options.latencyMs, results, duplicates: dup, storageRoundTrip, httpsRoundTrip };
  } finally {
    await stack.stop();
  }
}

export { countByLabel };
