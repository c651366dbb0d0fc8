/**
 * The in-process control handle: everything the control API (`/_emulator/…`) can do, typed, for tests and the
 * local host. The HTTP routes are thin wrappers around it.
 */
import { z } from 'zod';
import type { ArmModule, DeclaredResource, ResourceDeclaration } from '../arm/index.js';
import type { Clock } from '../core/clock.js';
import type { FaultInjector, FaultRule, FaultRuleInput } from '../core/faults.js';
import { HttpError } from '../core/http-error.js';
import type { RequestListener, RequestLog, RequestLogEntry, RequestLogFilter } from '../core/request-log.js';
import type { DataPlanesModule } from '../dataplanes/index.js';
import type {
  DeliveryRecord,
  EventDelivery,
  EventSubscription,
  SubscriptionInput,
} from '../events/delivery.js';
import type { VaultStoreSnapshot } from '../keyvault/store.js';
import type { Vault } from '../keyvault/vault.js';
import type { TopicsModule } from '../topics/index.js';

export interface VaultEndpoint {
  name: string;
  /** The vault's own origin, e.g. `https://127.0.0.1:40123` (give it to SecretClient as the vault URL). */
  url: string;
}

export const advanceSchema = z
  .strictObject({
    days: z.number().min(0).optional(),
    hours: z.number().min(0).optional(),
    minutes: z.number().min(0).optional(),
    seconds: z.number().min(0).optional(),
    ms: z.number().min(0).optional(),
  })
  .refine((by) => Object.values(by).some((v) => v !== undefined), {
    message: 'Give at least one of days, hours, minutes, seconds, ms',
  });
/** How far to move the clock; the parts are added up. */
export type AdvanceBy = z.infer<typeof advanceSchema>;

export interface EmulatorState {
  /** Emulator clock (ISO). */
  clock: string;
  vaults: (VaultEndpoint & VaultStoreSnapshot)[];
  subscriptions: EventSubscription[];
  arm: unknown;
  dataPlanes: unknown;
  topics: unknown;
}

export interface EmulatorControl {
  /** Adds a vault with its own origin (name rules as Key Vault's; case-insensitive, unique). */
  addVault(name: string): Promise<VaultEndpoint>;
  vaults(): VaultEndpoint[];
  /** Declares (or re-declares) ARM resources through the ARM module. */
  declareResources(resources: ResourceDeclaration[]): DeclaredResource[];
  resources(): DeclaredResource[];
  now(): Date;
  /** Moves the emulator clock forward; expiry events that became due are published. Returns the new time. */
  advanceClock(by: AdvanceBy): Date;
  /** Subscribes a webhook to a vault's events; resolves after the validation handshake passed. */
  subscribe(vault: string, input: SubscriptionInput): Promise<EventSubscription>;
  unsubscribe(id: string): boolean;
  subscriptions(vault?: string): EventSubscription[];
  /** Every delivery attempt so far (handshakes included), oldest first. */
  deliveries(): DeliveryRecord[];
  /** Resolves when no event delivery is in flight or waiting for a retry. */
  deliveriesIdle(): Promise<void>;
  addFault(rule: FaultRuleInput): FaultRule;
  faults(): FaultRule[];
  removeFault(id: string): boolean;
  clearFaults(): void;
  /** The request log (control API calls are not logged). */
  requests(filter?: RequestLogFilter): RequestLogEntry[];
  clearRequests(): void;
  /** Calls `listener` after every logged request; returns an unsubscribe function. */
  onRequestCompleted(listener: RequestListener): () => void;
  /** Full state for "nothing changed" assertions (value hashes, never values). */
  state(): EmulatorState;
  /** The ARM module (keys, restarts, forbid). */
  arm: ArmModule;
  /** The provider data planes (mint, seed, revoke manual credentials). */
  dataPlanes: DataPlanesModule;
  /** Event Grid custom topics (declare, read published events). */
  topics: TopicsModule;
}

export interface ControlDependencies {
  clock: Clock;
  faults: FaultInjector;
  log: RequestLog;
  delivery: EventDelivery;
  arm: ArmModule;
  dataPlanes: DataPlanesModule;
  topics: TopicsModule;
  vaults: Map<string, Vault>;
  addVault(name: string): Promise<Vault>;
}

const MS = { days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000, ms: 1 } as const;

export function createControl(deps: ControlDependencies): EmulatorControl {
  const endpoint = (vault: Vault): VaultEndpoint => ({ name: vault.name, url: vault.url });
  const vault = (name: string): Vault => {
    const found = deps.vaults.get(name.toLowerCase());
    if (!found) throw new HttpError(404, 'VaultNotFound', `No vault named ${name} in this emulator.`);
    return found;
  };
  return {
    addVault: async (name) => endpoint(await deps.addVault(name)),
    vaults: () => [...deps.vaults.values()].map(endpoint),
    declareResources: (resources) => resources.map((decl) => deps.arm.declare(decl)),
    resources: () => deps.arm.list(),
    now: () => deps.clock.now(),
    advanceClock: (by) => {
      const parsed = advanceSchema.parse(by);
      let ms = 0;
      for (const [unit, amount] of Object.entries(parsed)) ms += (amount ?? 0) * MS[unit as keyof typeof MS];
      deps.clock.advance(Math.round(ms));
      return deps.clock.now();
    },
    subscribe: async (name, input) => {
      const target = vault(name);
      return deps.delivery.subscribe(target.name, target.topic, input);
    },
    unsubscribe: (id) => deps.delivery.unsubscribe(id),
    subscriptions: (name) => deps.delivery.subscriptions(name),
    deliveries: () => deps.delivery.deliveries(),
    deliveriesIdle: () => deps.delivery.idle(),
    addFault: (rule) => deps.faults.add(rule),
    faults: () => deps.faults.list(),
    removeFault: (id) => deps.faults.remove(id),
    clearFaults: () => deps.faults.clear(),
    requests: (filter) => deps.log.list(filter),
    clearRequests: () => deps.log.clear(),
    onRequestCompleted: (listener) => deps.log.onCompleted(listener),
    state: () => ({
      clock: deps.clock.now().toISOString(),
      vaults: [...deps.vaults.values()].map((v) => ({ ...endpoint(v), ...v.store.snapshot() })),
      subscriptions: deps.delivery.subscriptions(),
      arm: deps.arm.snapshot(),
      dataPlanes: deps.dataPlanes.snapshot(),
      topics: deps.topics.snapshot(),
    }),
    arm: deps.arm,
    dataPlanes: deps.dataPlanes,
    topics: deps.topics,
  };
}
