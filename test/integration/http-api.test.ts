/**
 * Issue 9 through the same stack `npm start` runs (`startLocalStack`: Azurite, the emulator seeded from
 * `rotation.sample.json`, the local Functions host with the function key), in-process: the on-call HTTP
 * API against real SDK clients, the emulator's ARM and data planes, Azurite's queue and table.
 *
 * - dry runs (one secret, and all + compromised) leave the emulator's full state untouched;
 * - a compromised rotation of `azure-openai-gpt4-turbo-key` leaves neither old key valid, puts a new valid
 *   key in every secret of the group, disables the old versions, restarts consumers before the revoke,
 *   and the caller and reason show in the history report;
 * - `all` + `compromised` (with the dry run's planId) rotates the whole inventory (manual providers: urgent
 *   tasks), and the emulator's request log shows no more than ROTATION_CONCURRENCY runs at once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotatorApp } from '../../composition/app.js';
import { followClock } from '../../composition/clock.js';
import { createJsonLogger } from '../../composition/logger.js';
import { createRotatorApp } from '../../composition/root.js';
import type { FunctionDefinition } from '../../functions/definition.js';
import { createGetRunHandler, getRunFunction } from '../../functions/getRun.js';
import { createHistoryReportHandler, historyReport } from '../../functions/historyReport.js';
import { encodeClientPrincipal } from '../../functions/http/caller.js';
import { keyVaultEventsFunction } from '../../functions/keyVaultEvents.js';
import { poisonRunsFunction } from '../../functions/poisonRuns.js';
import { createRepropagateRunHandler, repropagateRunFunction } from '../../functions/repropagateRun.js';
import { createRollbackSecretHandler, rollbackSecretFunction } from '../../functions/rollbackSecret.js';
import { createRotateManyHandler, rotateManyFunction } from '../../functions/rotateMany.js';
import { createRotateSecretHandler, rotateSecretFunction } from '../../functions/rotateSecret.js';
import { rotationWorkerFunction } from '../../functions/rotationWorker.js';
import type { RequestLogEntry } from '../../local/emulator/index.js';
import { emulatorRequest, emulatorSecretClient } from '../../local/emulator/testing.js';
import { type RunningLocalStack, startLocalStack } from '../../local/stack.js';
import { loadConfig } from '../../rotation/config/index.js';
import { FINAL_STATUSES } from '../../rotation/engine/index.js';
import type { RunRecord } from '../../rotation/ports.js';
import { loadSettings } from '../../rotation/settings.js';

const SAMPLE = path.resolve(import.meta.dirname, '../../rotation.sample.json');
const config = loadConfig(SAMPLE);
const VAULT = config.vaults[0]!.name;
const CONCURRENCY = 2;
const COGNITIVE = 'Microsoft.CognitiveServices/accounts';
const TURBO = 'azure-openai-gpt4-turbo-key';
const turbo = config.findSecret(VAULT, TURBO)!;
const TURBO_GROUP = config.findGroup(VAULT, turbo.group)!;
const GPT4 = String(turbo.settings.resourceId);

const functionKey = randomBytes(24).toString('base64url');
const stateDir = mkdtempSync(path.join(tmpdir(), 'http-api-it-'));
const logLines: string[] = [];
const log = createJsonLogger({ write: (line) => logLines.push(line) });
let app: RotatorApp | undefined;
const getApp = async () => {
  if (!app) throw new Error('the app is not configured yet');
  return app;
};
let stack: RunningLocalStack;
let client: SecretClient;

beforeAll(async () => {
  const definitions: FunctionDefinition[] = [
    keyVaultEventsFunction(getApp),
    rotationWorkerFunction(getApp),
    poisonRunsFunction(getApp),
    { ...rotateSecretFunction, handler: createRotateSecretHandler(getApp) },
    { ...rotateManyFunction, handler: createRotateManyHandler(getApp) },
    { ...rollbackSecretFunction, handler: createRollbackSecretHandler(getApp) },
    { ...getRunFunction, handler: createGetRunHandler(getApp) },
    { ...repropagateRunFunction, handler: createRepropagateRunHandler(getApp) },
    { ...historyReport, handler: createHistoryReportHandler(getApp) },
  ];
  stack = await startLocalStack({
    config,
    stateDir,
    port: 0,
    functionKey,
    persistAzurite: false,
    definitions,
    settings: {},
    logger: log,
    configureApp: async (context) => {
      app = await createRotatorApp({
        settings: loadSettings({
          AzureWebJobsStorage: context.storageConnectionString,
          ROTATION_CONFIG: SAMPLE,
          LOCAL_STATE_DIR: stateDir,
          ROTATION_CONCURRENCY: String(CONCURRENCY),
          HTTP_WAIT_SECONDS: '90',
          VALIDATION_TIMEOUT_SECONDS: '10',
        }),
        env: context.env,
        emulatorOrigin: context.emulatorOrigin,
        clock: followClock(context.clock),
        log,
        timing: 'fast',
      });
    },
  });
  client = emulatorSecretClient(stack.emulator.vaults[0]!.url, stack.emulator.caCert, {
    retryOptions: { maxRetries: 0 },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function api(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.host.url}${route}`, {
    method,
    headers: {
      'x-functions-key': functionKey,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
  const json: any = await response.json();
  return { status: response.status, headers: response.headers, body: json };
}

/** The emulator's full state without its clock (which moves with wall time). */
function emulatorState() {
  const { clock: _clock, ...rest } = stack.emulator.control.state();
  return JSON.parse(JSON.stringify(rest));
}

function lastSeq(): number {
  return stack.emulator.control.requests().at(-1)?.seq ?? 0;
}

async function versions(name: string) {
  const out = [];
  for await (const v of client.listPropertiesOfSecretVersions(name)) out.push(v);
  return out.sort((a, b) => (a.createdOn?.getTime() ?? 0) - (b.createdOn?.getTime() ?? 0));
}

async function currentValue(name: string): Promise<string> {
  return (await client.getSecret(name)).value!;
}

/** A real data-plane call with the key, as a client of Azure OpenAI makes it. */
async function openAiAccepts(key: string): Promise<boolean> {
  const endpoint = stack.emulator.control
    .resources()
    .find((r) => r.id.toLowerCase() === GPT4.toLowerCase())!.endpoint;
  const response = await emulatorRequest(
    `${endpoint}openai/models?api-version=2024-10-21`,
    stack.emulator.caCert,
    {
      headers: { 'api-key': key },
    },
  );
  if (response.status !== 200 && response.status !== 401)
    throw new Error(`data plane said ${response.status}`);
  return response.status === 200;
}

async function waitForFinal(
  id: string,
  until: (run: RunRecord) => boolean,
  timeoutMs = 90_000,
): Promise<RunRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = (await app!.engine.journal.get(id))?.run;
    if (run && until(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} not final in time (${run?.status ?? 'none'})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Largest number of [start, end] intervals that overlap at one instant. */
function maxOverlap(intervals: { start: number; end: number }[]): number {
  const edges = intervals.flatMap((i) => [
    { at: i.start, delta: 1 },
    { at: i.end, delta: -1 },
  ]);
  // Ends before starts at the same instant: touching intervals do not overlap.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let peak = 0;
  for (const edge of edges) {
    current += edge.delta;
    peak = Math.max(peak, current);
  }
  return peak;
}

describe('dry runs change nothing', () => {
  it('one secret: the plan and read-only checks (config, Key Vault, provider reachability)', async () => {
    const before = emulatorState();
    const answer = await api('POST', `/api/secrets/${TURBO}/rotate`, {
      reason: 'what would a compromise do?',
      compromised: true,
      dryRun: true,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.plan).toMatchObject({
      wouldRotate: true,
      compromised: true,
      revoke: { will: true, how: 'provider' },
    });
    expect(answer.body.checks).toEqual([
      expect.objectContaining({ check: 'config', ok: true }),
      expect.objectContaining({ check: 'key-vault', ok: true }),
      expect.objectContaining({ check: 'provider', ok: true }),
    ]);
    expect(emulatorState()).toEqual(before);
  });
});

describe('compromised rotation of azure-openai-gpt4-turbo-key', () => {
  it('kills both old keys, serves a new valid key in every secret of the group, disables old versions, restarts before the revoke, records caller and reason', async () => {
    const names = TURBO_GROUP.secrets.map((s) => s.name);
    expect(names.length).toBeGreaterThan(1);
    const oldKeys = stack.emulator.control.arm.cognitiveKeys(GPT4);
    const oldVersions = await Promise.all(names.map(async (n) => (await versions(n)).map((v) => v.version!)));
    const since = lastSeq();
    const reason = 'key pasted into a public gist';
    const principal = encodeClientPrincipal({ name: 'oncall@contoso.com', nameType: 'preferred_username' });

    const answer = await api(
      'POST',
      `/api/secrets/${TURBO}/rotate`,
      { reason, compromised: true },
      {
        'x-ms-client-principal': principal,
      },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'revoked',
      compromised: true,
      caller: 'oncall@contoso.com (aad)',
      reason,
    });

    // Neither old key works at the emulator, by ARM and by a real data-plane call.
    for (const key of [oldKeys.key1, oldKeys.key2]) {
      expect(stack.emulator.control.arm.isCurrentKey(COGNITIVE, GPT4, key)).toBe(false);
      expect(await openAiAccepts(key)).toBe(false);
    }
    // One new valid key, current in every secret of the group.
    const values = await Promise.all(names.map(currentValue));
    expect(new Set(values).size).toBe(1);
    expect(stack.emulator.control.arm.isCurrentKey(COGNITIVE, GPT4, values[0]!)).toBe(true);
    expect(await openAiAccepts(values[0]!)).toBe(true);
    // Every version that held a leaked key is disabled.
    for (const [i, name] of names.entries()) {
      const now = await versions(name);
      for (const old of oldVersions[i]!) expect(now.find((v) => v.version === old)?.enabled).toBe(false);
      // The current version by id: creation times are whole seconds, so sorting by them can tie.
      const current = (await client.getSecret(name)).properties.version;
      expect(now.find((v) => v.version === current)?.enabled).toBe(true);
    }
    // Restarts (every consumer of the group) end before the revoking regenerateKey starts.
    const log = stack.emulator.control.requests({ since });
    const regenerations = log.filter(
      (r) => r.method === 'POST' && /oai-gpt4-eastus\/regenerateKey/i.test(r.path),
    );
    expect(regenerations).toHaveLength(2);
    const restarts = log.filter((r) => r.method === 'POST' && /\/sites\/[^/]+\/restart/i.test(r.path));
    const restarted = new Set(restarts.map((r) => /\/sites\/([^/?]+)/i.exec(r.path)![1]!.toLowerCase()));
    for (const consumer of TURBO_GROUP.consumers) expect(restarted.has(consumer.toLowerCase())).toBe(true);
    const revoke = regenerations[1]!;
    expect(Math.max(...restarts.map((r) => r.endMs))).toBeLessThanOrEqual(revoke.startMs);
    expect(regenerations[0]!.endMs).toBeLessThanOrEqual(Math.min(...restarts.map((r) => r.startMs)));

    // The history report shows who and why.
    const history = await api('GET', `/api/reports/history?secret=${TURBO}`);
    expect(history.status).toBe(200);
    const text = JSON.stringify(history.body);
    expect(text).toContain('oncall@contoso.com (aad)');
    expect(text).toContain(reason);
    expect(text).not.toContain(values[0]!);
    expect(text).not.toContain(oldKeys.key1);
  });
});

describe('all + compromised over the sample inventory', () => {
  it('needs the dry run’s planId, rotates everything (manual providers: urgent tasks) and never exceeds the concurrency', async () => {
    const body = { select: { all: true }, reason: 'incident 4711: CI secrets leaked', compromised: true };
    const refused = await api('POST', '/api/rotations', body);
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'PlanRequired' } } });

    const before = emulatorState();
    const runsBefore = await countRuns();
    const dryStarted = Date.now();
    const dry = await api('POST', '/api/rotations', { ...body, dryRun: true });
    process.stdout.write(`dry run: ${Date.now() - dryStarted} ms\n`);
    expect(dry.status).toBe(200);
    expect(dry.body.summary).toMatchObject({ secrets: config.secrets.length, groups: config.groups.length });
    expect(emulatorState()).toEqual(before);
    expect(await countRuns()).toBe(runsBefore);

    const since = lastSeq();
    const started = Date.now();
    const answer = await api('POST', '/api/rotations', { ...body, planId: dry.body.planId });
    expect([200, 202]).toContain(answer.status);
    expect(answer.body.summary).toMatchObject({ secrets: config.secrets.length, concurrency: CONCURRENCY });
    const runs = new Map<string, RunRecord>();
    for (const result of answer.body.results as { runId: string }[]) {
      if (!runs.has(result.runId)) {
        runs.set(
          result.runId,
          await waitForFinal(result.runId, (r) => FINAL_STATUSES.has(r.status) && r.compromised),
        );
      }
    }
    process.stdout.write(`all + compromised: ${runs.size} runs in ${Date.now() - started} ms\n`);

    for (const secret of config.secrets) {
      const result = answer.body.results.find(
        (r: { secret: string }) => r.secret.toLowerCase() === secret.name.toLowerCase(),
      );
      expect(result, secret.name).toBeDefined();
      const run = runs.get(result.runId)!;
      const manual = app!.engine.providers[secret.provider]?.mode === 'manual';
      if (manual) {
        expect(run.status, secret.name).toBe('manual-action-required');
        expect(
          run.pendingHuman.every((t) => t.startsWith('URGENT')),
          secret.name,
        ).toBe(true);
      } else {
        expect(run.status, `${secret.name}: ${run.error?.message ?? ''}`).toBe('revoked');
      }
    }

    // Concurrency from the emulator's request log: each run's writes (regenerateKey of its provider
    // resource, Key Vault writes of its secrets) span an interval; at most CONCURRENCY overlap.
    const log = stack.emulator.control.requests({ since });
    const intervals = groupIntervals(log);
    expect(intervals.length).toBeGreaterThanOrEqual(CONCURRENCY);
    process.stdout.write(`at most ${maxOverlap(intervals)} of ${intervals.length} runs wrote at once\n`);
    expect(maxOverlap(intervals)).toBeLessThanOrEqual(CONCURRENCY);
    // And from the journal: from claimed to finished.
    const journal = [...runs.values()].map((run) => ({
      start: Date.parse(run.phases.find((p) => p.phase === 'claimed')!.at),
      end: Date.parse(run.finishedAt!),
    }));
    expect(maxOverlap(journal)).toBeLessThanOrEqual(CONCURRENCY);
  }, 180_000);
});

async function countRuns(): Promise<number> {
  let n = 0;
  for await (const _ of app!.engine.journal.list({})) n += 1;
  return n;
}

/** Intervals of each group's writes: regenerateKey on its resource, PUT/PATCH of its secrets. */
function groupIntervals(log: RequestLogEntry[]): { start: number; end: number }[] {
  const byGroup = new Map<string, { start: number; end: number }>();
  const add = (group: string, entry: RequestLogEntry) => {
    const span = byGroup.get(group);
    byGroup.set(group, {
      start: Math.min(span?.start ?? entry.startMs, entry.startMs),
      end: Math.max(span?.end ?? entry.endMs, entry.endMs),
    });
  };
  for (const entry of log) {
    if (entry.server === 'vault' && (entry.method === 'PUT' || entry.method === 'PATCH')) {
      const name = /^\/secrets\/([^/?]+)/.exec(entry.path)?.[1];
      const secret = name ? config.findSecret(VAULT, name) : undefined;
      if (secret) add(secret.group, entry);
    } else if (entry.method === 'POST' && /\/regenerateKey/i.test(entry.path)) {
      const group = config.groups.find((g) => {
        const id = String(g.settings.resourceId ?? '').toLowerCase();
        return id !== '' && entry.path.toLowerCase().startsWith(id);
      });
      if (group) add(group.id, entry);
    }
  }
  return [...byGroup.values()];
}
