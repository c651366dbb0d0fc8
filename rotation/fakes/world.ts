/**
 * One in-memory world for engine tests: every port faked, sharing a fault injector and a fake clock,
 * wired into `EngineDeps`. `drain()` plays the queue-triggered worker.
 */
import { DEFAULT_SETTINGS, type EngineDeps, type EngineSettings, type EngineTiming } from '../engine/deps.js';
import { executeRun } from '../engine/execute.js';
import { newRunRecord } from '../engine/records.js';
import type { ProviderKind } from '../kinds.js';
import type { CredentialGroup, ManagedSecret, ProviderRegistry, RunRecord, RunRequest } from '../ports.js';
import { FakeCatalog } from './catalog.js';
import { FakeClock } from './clock.js';
import { FaultInjector } from './faults.js';
import { FakeJournal } from './journal.js';
import { FakeLockManager } from './locks.js';
import { MemoryLogger } from './logger.js';
import { FakeNotifier } from './notifier.js';
import { FakePropagator } from './propagator.js';
import { FakeRunQueue } from './queue.js';
import { FakeSecretStore } from './secret-store.js';

/** Timings that keep tests fast on the fake clock (the shapes of the real ones). */
export const FAST_TIMING: EngineTiming = {
  leaseSeconds: 30,
  leaseRenewEveryMs: 10_000,
  leaseFreshMs: 500,
  validation: { initialDelayMs: 1_000, maxDelayMs: 8_000, factor: 2 },
  promoteAttempts: 3,
  promoteBackoff: { initialDelayMs: 100, maxDelayMs: 400, factor: 2 },
};

export interface FakeWorldOptions {
  groups?: CredentialGroup[];
  providers?: ProviderRegistry;
  settings?: Partial<EngineSettings>;
  timing?: Partial<EngineTiming>;
  start?: string;
  /** Default true: sleeps jump the clock when everything else is idle. */
  autoAdvance?: boolean;
}

export class FakeWorld {
  readonly faults = new FaultInjector();
  readonly clock: FakeClock;
  readonly store: FakeSecretStore;
  readonly journal: FakeJournal;
  readonly locks: FakeLockManager;
  readonly queue: FakeRunQueue;
  readonly propagator: FakePropagator;
  readonly notifier: FakeNotifier;
  readonly log = new MemoryLogger();
  readonly catalog: FakeCatalog;
  readonly providers: ProviderRegistry;
  readonly settings: EngineSettings;
  readonly timing: EngineTiming;

  constructor(options: FakeWorldOptions = {}) {
    this.clock = new FakeClock(options.start, { autoAdvance: options.autoAdvance ?? true });
    this.store = new FakeSecretStore(this.clock, this.faults);
    this.journal = new FakeJournal(this.faults);
    this.locks = new FakeLockManager(this.clock, this.faults);
    this.queue = new FakeRunQueue(this.clock, this.faults);
    this.propagator = new FakePropagator(this.clock, this.faults);
    this.notifier = new FakeNotifier(this.clock, this.faults);
    this.catalog = new FakeCatalog(options.groups ?? [], this.faults);
    this.providers = { ...options.providers };
    this.settings = { ...DEFAULT_SETTINGS, ...options.settings };
    this.timing = { ...FAST_TIMING, ...options.timing };
  }

  get deps(): EngineDeps {
    return {
      store: this.store,
      journal: this.journal,
      locks: this.locks,
      queue: this.queue,
      propagator: this.propagator,
      notifier: this.notifier,
      clock: this.clock,
      log: this.log,
      catalog: this.catalog,
      providers: this.providers,
      settings: this.settings,
      timing: this.timing,
    };
  }

  /** Plays the worker: executes every visible queue message in order; returns the runs. */
  async drain(): Promise<RunRecord[]> {
    const runs: RunRecord[] = [];
    for (;;) {
      const batch = this.queue.takeVisible();
      if (batch.length === 0) return runs;
      for (const request of batch) runs.push(await executeRun(this.deps, request));
    }
  }
}

export interface FakeGroupInput {
  vault?: string;
  id?: string;
  provider?: ProviderKind;
  secrets?: (string | { name: string; part?: string })[];
  settings?: Record<string, unknown>;
  validityDays?: number;
  minIntervalHours?: number;
  consumers?: string[];
  channels?: string[];
}

/** A credential group with sensible defaults (two sibling secrets sharing one key). */
export function fakeGroup(input: FakeGroupInput = {}): CredentialGroup {
  const vault = (input.vault ?? 'kv-test').toLowerCase();
  const id = (input.id ?? 'openai-main').toLowerCase();
  const provider = input.provider ?? 'azure-cognitive-services';
  const base = {
    vault,
    provider,
    group: id,
    settings: input.settings ?? {},
    validityDays: input.validityDays ?? 90,
    minIntervalHours: input.minIntervalHours ?? 24,
    consumers: input.consumers ?? ['web-app'],
    channels: input.channels ?? ['ops'],
    owners: ['team-ai'],
    source: 'config' as const,
  };
  const secrets: ManagedSecret[] = (input.secrets ?? ['openai-key', 'openai-key-batch']).map((s) =>
    typeof s === 'string'
      ? { ...base, name: s }
      : { ...base, name: s.name, ...(s.part ? { part: s.part } : {}) },
  );
  return {
    vault,
    id,
    provider,
    settings: base.settings,
    secrets,
    validityDays: base.validityDays,
    minIntervalHours: base.minIntervalHours,
    consumers: base.consumers,
    channels: base.channels,
    owners: base.owners,
  };
}

/** A run request as a trigger would build it. */
export function runRequest(
  world: { clock: { now(): Date } },
  input: Partial<RunRequest> & { secret: string },
): RunRequest {
  return {
    vault: 'kv-test',
    trigger: { kind: 'event', eventType: 'Microsoft.KeyVault.SecretNearExpiry' },
    requestedAt: world.clock.now().toISOString(),
    ...input,
  };
}

/** A run record of `group` as a trigger creates it, queued (tests of the journal writer). */
export function fakeRunRecord(group: CredentialGroup, id = 'run-1'): RunRecord {
  const now = new Date();
  return newRunRecord({
    id,
    group,
    triggerVersion: 'v1',
    request: {
      vault: group.vault,
      secret: group.secrets[0]?.name ?? group.id,
      trigger: { kind: 'event' },
      requestedAt: now.toISOString(),
    },
    now,
  });
}
