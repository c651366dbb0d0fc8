/**
 * One emulated vault: its secret store, its own HTTPS origin (SecretClient rejects a vault URL with a path,
 * so each vault gets a port), and the Key Vault events its changes raise.
 */
import type { Clock } from '../core/clock.js';
import type { FaultInjector } from '../core/faults.js';
import type { RequestLog } from '../core/request-log.js';
import { Router } from '../core/router.js';
import { OriginServer } from '../core/server.js';
import type { Timers } from '../core/timers.js';
import type { EmulatorTls } from '../core/tls.js';
import type { EventDelivery } from '../events/delivery.js';
import { dueExpiryEvents, secretEvent, type VaultIdentity } from '../events/keyvault-events.js';
import { createVaultRoutes, keyVaultChallenge } from './routes.js';
import { VaultStore } from './store.js';

/** Key Vault's rule for vault names: 3–24 characters, letters, digits and single hyphens, a letter first. */
const VAULT_NAME = /^(?=.{3,24}$)[a-zA-Z](?:[a-zA-Z0-9]|-(?!-))*[a-zA-Z0-9]$/;

export function isValidVaultName(name: string): boolean {
  return VAULT_NAME.test(name);
}

export interface VaultDependencies {
  tls: EmulatorTls;
  clock: Clock;
  faults: FaultInjector;
  log: RequestLog;
  timers: Timers;
  delivery: EventDelivery;
  bodyLimitBytes: number;
  subscriptionId: string;
  resourceGroup: string;
}

export class Vault {
  readonly name: string;
  readonly store: VaultStore;
  readonly topic: string;
  readonly #deps: VaultDependencies;
  #server: OriginServer | undefined;

  private constructor(name: string, deps: VaultDependencies) {
    this.name = name;
    this.#deps = deps;
    this.topic =
      `/subscriptions/${deps.subscriptionId}/resourceGroups/${deps.resourceGroup}` +
      `/providers/Microsoft.KeyVault/vaults/${name}`;
    this.store = new VaultStore(name, deps.clock, {
      newVersion: (secret, version) => {
        const event = secretEvent(
          'Microsoft.KeyVault.SecretNewVersionCreated',
          this.identity(),
          secret,
          version,
          deps.clock.now(),
        );
        deps.delivery.publish(this.name, event);
        this.checkExpiry();
      },
      changed: () => this.checkExpiry(),
    });
  }

  /** Creates the vault and starts its origin on an OS-chosen loopback port. */
  static async start(name: string, deps: VaultDependencies): Promise<Vault> {
    const vault = new Vault(name, deps);
    const router = new Router().addAll(
      createVaultRoutes(vault.store, () => vault.url),
      name,
    );
    vault.#server = await OriginServer.listen({
      server: 'vault',
      name,
      router,
      tls: deps.tls,
      clock: deps.clock,
      faults: deps.faults,
      log: deps.log,
      timers: deps.timers,
      bodyLimitBytes: deps.bodyLimitBytes,
      gate: keyVaultChallenge,
      // The clock follows real time too, so expiry is also checked after every request.
      after: () => vault.checkExpiry(),
    });
    return vault;
  }

  /** The vault's URL (its origin), e.g. `https://127.0.0.1:40123`. */
  get url(): string {
    if (!this.#server) throw new Error(`Vault ${this.name} has not started`);
    return this.#server.origin;
  }

  identity(): VaultIdentity {
    return { name: this.name, url: this.url, topic: this.topic };
  }

  /** Publishes the SecretNearExpiry / SecretExpired events that became due. */
  checkExpiry(): void {
    const events = dueExpiryEvents(this.identity(), this.store.list(), this.#deps.clock.now());
    for (const event of events) this.#deps.delivery.publish(this.name, event);
  }

  async close(): Promise<void> {
    await this.#server?.close();
  }
}
