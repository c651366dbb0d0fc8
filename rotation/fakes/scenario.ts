/**
 * A ready-made engine scenario: a fake world with one credential group served by the fake key-pair
 * provider, its secrets seeded with the provider's `key1` (as if a previous rotation had written them).
 */
import type { EngineSettings, EngineTiming } from '../engine/deps.js';
import type { CredentialGroup, RunRequest } from '../ports.js';
import { createFakeProvider, type FakeProvider, type FakeProviderOptions } from './provider.js';
import { type FakeGroupInput, FakeWorld, fakeGroup, runRequest } from './world.js';

export interface ScenarioOptions {
  group?: FakeGroupInput;
  provider?: FakeProviderOptions;
  settings?: Partial<EngineSettings>;
  timing?: Partial<EngineTiming>;
  /** Extra user tags on the seeded versions. */
  userTags?: Record<string, string>;
  contentType?: string;
  /** Leave the secrets empty (first issue). */
  unseeded?: boolean;
  autoAdvance?: boolean;
}

export interface Scenario {
  world: FakeWorld;
  group: CredentialGroup;
  provider: FakeProvider;
  /** A request for the group's first secret (a Key Vault event unless overridden). */
  request(input?: Partial<RunRequest>): RunRequest;
}

export function createScenario(options: ScenarioOptions = {}): Scenario {
  const group = fakeGroup(options.group);
  const world = new FakeWorld({
    groups: [group],
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.timing ? { timing: options.timing } : {}),
    ...(options.autoAdvance === undefined ? {} : { autoAdvance: options.autoAdvance }),
  });
  const provider = createFakeProvider({ kind: group.provider, faults: world.faults, ...options.provider });
  world.providers[group.provider] = provider;
  if (!options.unseeded) {
    for (const secret of group.secrets) {
      world.store.seed(group.vault, secret.name, {
        value: provider.service.keys.key1,
        tags: { CredentialId: 'key1', ...options.userTags },
        ...(options.contentType ? { contentType: options.contentType } : {}),
        expiresOn: new Date(world.clock.now().getTime() + 20 * 86_400_000),
      });
    }
  }
  return {
    world,
    group,
    provider,
    request: (input = {}) =>
      runRequest(world, { vault: group.vault, secret: group.secrets[0]!.name, ...input }),
  };
}
