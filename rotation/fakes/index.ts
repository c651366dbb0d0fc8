/** In-memory implementations of every port in `rotation/ports.ts`, for fast deterministic tests. */
export { FakeCatalog } from './catalog.js';
export { FakeClock } from './clock.js';
export { type FaultHit, FaultInjector, type FaultRule, SimulatedCrash } from './faults.js';
export { FakeJournal } from './journal.js';
export { FakeLockManager } from './locks.js';
export { type LogLine, MemoryLogger } from './logger.js';
export { FakeNotifier } from './notifier.js';
export { FakePropagator } from './propagator.js';
export {
  createFakeProvider,
  type FakeKeyName,
  FakeKeyService,
  type FakeProvider,
  type FakeProviderOptions,
  type FakeProviderSettings,
  fakeProviderSettings,
} from './provider.js';
export { FakeRunQueue, type QueuedMessage } from './queue.js';
export { createScenario, type Scenario, type ScenarioOptions } from './scenario.js';
export { FakeSecretStore, type SeedVersion } from './secret-store.js';
export {
  FAST_TIMING,
  type FakeGroupInput,
  FakeWorld,
  type FakeWorldOptions,
  fakeGroup,
  runRequest,
} from './world.js';
