/**
 * A rotation worker in its own process (the crash-resume test spawns it with the network guard): the
 * composition root against the parent's emulator and storage, the local host serving `rotationWorker` only,
 * and one planned crash — SIGKILL right after (or right before) the journal write that enters a phase, or
 * after the Nth Key Vault write — or a stall there until the parent says `continue`.
 *
 * Protocol: prints `READY` once built, starts polling the queue on `go`, prints `CRASH …` / `STALLED …`
 * (written synchronously, so the parent sees it even when the process dies right after).
 * Spec in `RELIABILITY_WORKER` (JSON): `WorkerProcessSpec` plus `crash`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { localEnvironment } from '../../../azure/index.js';
import { createJsonLogger } from '../../../composition/logger.js';
import { createRotatorApp, FAST_ENGINE_TIMING } from '../../../composition/root.js';
import { rotationWorkerFunction } from '../../../functions/rotationWorker.js';
import { startLocalHost } from '../../../local/host/index.js';
import { SLOT_PREFIX } from '../../../rotation/engine/slots.js';
import type { Journal, LockManager, RunRecord, SecretStore } from '../../../rotation/ports.js';
import { loadSettings } from '../../../rotation/settings.js';
import type { CrashPlan, WorkerChildSpec } from './crash.js';

const spec = JSON.parse(process.env.RELIABILITY_WORKER ?? '{}') as WorkerChildSpec;
const say = (line: string) => writeSync(1, `${line}\n`);

const lines = createInterface({ input: process.stdin });
const waiting = new Map<string, () => void>();
lines.on('line', (line) => {
  waiting.get(line.trim())?.();
  waiting.delete(line.trim());
});
const awaitLine = (word: string) => new Promise<void>((resolve) => waiting.set(word, resolve));

/**
 * A group lease renewal held for the stall (`renewal: 'answer-read-after-stall'`): storage has renewed the
 * lease; the worker gets the answer only once the parent says `continue`, after the lease was broken.
 */
let renewalHold: { caught: () => void; answered: Promise<void> } | undefined;

/** The planned crash: SIGKILL leaves no chance to release a lease, complete a message or log. */
async function strike(plan: CrashPlan, what: string): Promise<void> {
  if (plan.action === 'stall') {
    let answer: (() => void) | undefined;
    if (plan.point === 'journal' && plan.renewal === 'answer-read-after-stall') {
      // The lease keeper renews every second here: wait until a renewal reached storage.
      await new Promise<void>((caught) => {
        renewalHold = { caught, answered: new Promise<void>((resolve) => (answer = resolve)) };
      });
    }
    say(`STALLED ${what}`);
    await awaitLine('continue');
    if (answer) {
      // The renewal's answer is read first (it has waited in the socket since before the stall).
      answer();
      await new Promise((resolve) => setImmediate(resolve));
    }
    say(`CONTINUED ${what}`);
    return;
  }
  say(`CRASH ${what}`);
  process.kill(process.pid, 'SIGKILL');
  await new Promise(() => undefined);
}

function crashingJournal(inner: Journal, plan: CrashPlan): Journal {
  if (plan.point !== 'journal') return inner;
  let fired = false;
  // The first write whose phase list holds the phase (a write may enter two phases, e.g. propagated and done).
  const isTarget = (run: RunRecord) => !fired && run.phases.some((p) => p.phase === plan.phase);
  return {
    get: (id) => inner.get(id),
    create: (run) => inner.create(run),
    list: (filter) => inner.list(filter),
    latestForGroup: (vault, group) => inner.latestForGroup(vault, group),
    async replace(run, etag) {
      if (!isTarget(run)) return inner.replace(run, etag);
      fired = true;
      if (plan.when === 'before-write') await strike(plan, `before journaling ${plan.phase} of ${run.id}`);
      const result = await inner.replace(run, etag);
      if (plan.when === 'after-write') await strike(plan, `after journaling ${plan.phase} of ${run.id}`);
      return result;
    },
  };
}

/** Group leases whose renewal can be held for a stall (see `renewalHold`); slot leases pass through. */
function holdingLocks(inner: LockManager): LockManager {
  return {
    async tryAcquire(key, durationSeconds) {
      const lease = await inner.tryAcquire(key, durationSeconds);
      if (!lease || key.startsWith(`${SLOT_PREFIX}/`)) return lease;
      return {
        key: lease.key,
        release: () => lease.release(),
        async renew() {
          await lease.renew();
          const hold = renewalHold;
          renewalHold = undefined;
          if (hold) {
            hold.caught();
            await hold.answered;
          }
        },
      };
    },
  };
}

function crashingStore(inner: SecretStore, plan: CrashPlan): SecretStore {
  let writes = 0;
  return {
    getCurrent: (vault, name) => inner.getCurrent(vault, name),
    getVersion: (vault, name, version) => inner.getVersion(vault, name, version),
    listSecrets: (vault) => inner.listSecrets(vault),
    listVersions: (vault, name) => inner.listVersions(vault, name),
    updateVersion: (vault, name, version, patch) => inner.updateVersion(vault, name, version, patch),
    async setSecret(vault, name, secret) {
      const written = await inner.setSecret(vault, name, secret);
      writes += 1;
      if (plan.point === 'kv-set' && writes === plan.count)
        await strike(plan, `after Key Vault write ${writes} (${name})`);
      return written;
    },
  };
}

const log = createJsonLogger({ write: (line) => writeSync(1, `${line}\n`) });
const app = await createRotatorApp({
  settings: loadSettings({
    AzureWebJobsStorage: spec.storageConnectionString,
    ROTATION_CONFIG: spec.rotationConfig,
    VALIDATION_TIMEOUT_SECONDS: '2',
  }),
  env: localEnvironment({
    caCert: readFileSync(spec.caCertFile, 'utf8'),
    vaultUrls: spec.vaultUrls,
    armEndpoint: spec.armEndpoint,
    storageConnectionString: spec.storageConnectionString,
  }),
  log,
  timing: 'fast',
});
app.engine.timing = { ...FAST_ENGINE_TIMING, ...spec.timing };
app.engine.journal = crashingJournal(app.engine.journal, spec.crash);
app.engine.store = crashingStore(app.engine.store, spec.crash);
app.engine.locks = holdingLocks(app.engine.locks);
say('READY');
await awaitLine('go');
await startLocalHost({
  definitions: [rotationWorkerFunction(() => Promise.resolve(app))],
  port: 0,
  functionKey: randomBytes(16).toString('hex'),
  storageConnectionString: spec.storageConnectionString,
  settings: {},
  logger: log,
  timing: { queuePollMinMs: 20, queuePollMaxMs: 100, visibilityTimeoutSeconds: 1, messageLeaseSeconds: 1 },
});
say('POLLING');
