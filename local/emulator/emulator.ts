/**
 * Starts the local Azure emulator: one shared HTTPS origin (ARM, provider data planes, Event Grid custom
 * topics, control API) and one HTTPS origin per vault, all on 127.0.0.1 with OS-chosen ports and one generated certificate.
 */
import { createArmModule, DEFAULT_SUBSCRIPTION_ID, type ResourceDeclaration } from './arm/index.js';
import { createControl, type EmulatorControl, type VaultEndpoint } from './control/control.js';
import { type ControlInfo, controlRoutes } from './control/routes.js';
import { Clock } from './core/clock.js';
import { FaultInjector } from './core/faults.js';
import { HttpError } from './core/http-error.js';
import { RequestLog } from './core/request-log.js';
import { Router } from './core/router.js';
import { OriginServer } from './core/server.js';
import { Timers } from './core/timers.js';
import { emulatorTls, writeCaCert } from './core/tls.js';
import { createDataPlanesModule } from './dataplanes/index.js';
import { type DeliveryOptions, EventDelivery } from './events/delivery.js';
import { InvariantChecker, type InvariantOptions } from './invariants/index.js';
import { isValidVaultName, Vault } from './keyvault/vault.js';
import { createTopicsModule, type TopicDeclaration } from './topics/index.js';
import type { EmulatorContext } from './types.js';

export interface StartEmulatorOptions {
  /** Vault names to create at start (each gets its own origin). */
  vaults: string[];
  /** ARM resources to declare at start. */
  resources?: ResourceDeclaration[];
  /** Event Grid custom topics to declare at start (others are created on first publish). */
  topics?: TopicDeclaration[];
  /** Where `emulator-ca.pem` is written (default `.local/`). */
  stateDir?: string;
  /** Emulator clock start (default: now). The clock then follows real time plus every advance. */
  startTime?: Date;
  /** Event Grid delivery timing (use small values in tests). */
  eventDelivery?: DeliveryOptions;
  /** Largest request body accepted, in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Resource group in the vaults' ARM ids (event `topic`); default `rotator-local`. */
  vaultResourceGroup?: string;
  /** Checks the rotation invariant after every request (tests; see `invariants/`). */
  invariants?: InvariantOptions;
}

export interface RunningEmulator {
  /** The shared origin: ARM, data planes and the control API (`/_emulator/…`). */
  origin: string;
  /** ARM endpoint for management clients (`endpoint` option); the shared origin. */
  armEndpoint: string;
  /** Every vault (including ones added later through the control API). */
  readonly vaults: VaultEndpoint[];
  /** PEM of the CA to trust per client (`tlsOptions: { ca: caCert }`). */
  caCert: string;
  /** Absolute path of `emulator-ca.pem`. */
  caCertFile: string;
  clock: Clock;
  control: EmulatorControl;
  /** The invariant checker, when `invariants` was given. */
  invariants?: InvariantChecker;
  /** Closes every server and connection, cancels pending deliveries; resolves when ports are free. */
  stop(): Promise<void>;
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;

export async function startEmulator(options: StartEmulatorOptions): Promise<RunningEmulator> {
  const tls = await emulatorTls();
  const caCertFile = writeCaCert(options.stateDir ?? '.local', tls.caCert);
  const clock = new Clock(options.startTime);
  const faults = new FaultInjector();
  const log = new RequestLog();
  const timers = new Timers();
  const delivery = new EventDelivery(options.eventDelivery ?? {}, timers, tls.caCert);
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const vaults = new Map<string, Vault>();
  let origin = '';
  const ctx: EmulatorContext = { clock, origin: () => origin };

  const arm = createArmModule(ctx, options.resources ?? []);
  const dataPlanes = createDataPlanesModule(ctx, arm);
  const topics = createTopicsModule(ctx, options.topics ?? []);

  const addVault = async (name: string): Promise<Vault> => {
    if (!isValidVaultName(name)) {
      throw new HttpError(
        400,
        'BadRequest',
        `Invalid vault name '${name}': 3-24 letters, digits and single hyphens, starting with a letter.`,
      );
    }
    const key = name.toLowerCase();
    if (vaults.has(key)) throw new HttpError(409, 'Conflict', `A vault named ${name} already exists.`);
    const vault = await Vault.start(name, {
      tls,
      clock,
      faults,
      log,
      timers,
      delivery,
      bodyLimitBytes,
      subscriptionId: DEFAULT_SUBSCRIPTION_ID,
      resourceGroup: options.vaultResourceGroup ?? 'rotator-local',
    });
    if (vaults.has(key)) {
      // Two concurrent adds of one name: keep the first.
      await vault.close();
      throw new HttpError(409, 'Conflict', `A vault named ${name} already exists.`);
    }
    vaults.set(key, vault);
    return vault;
  };

  const control = createControl({ clock, faults, log, delivery, arm, dataPlanes, topics, vaults, addVault });
  clock.onAdvance(() => {
    for (const vault of vaults.values()) vault.checkExpiry();
  });
  const vaultReader = () =>
    [...vaults.values()].map((v) => ({ name: v.name, secrets: () => v.store.list() }));
  const invariants = options.invariants
    ? new InvariantChecker(options.invariants, vaultReader, dataPlanes, clock)
    : undefined;
  if (invariants) log.onCompleted(invariants.onRequest);

  const info = (): ControlInfo => ({ origin, armEndpoint: origin, caCertFile });
  const router = new Router()
    .addAll(controlRoutes(control, info), 'control')
    .addAll(arm.controlRoutes, 'control')
    .addAll(dataPlanes.controlRoutes, 'control')
    .addAll(topics.controlRoutes, 'control')
    .addAll(arm.routes, 'arm')
    .addAll(dataPlanes.routes, 'data')
    .addAll(topics.routes, 'data');
  const shared = await OriginServer.listen({
    server: 'emulator',
    name: 'emulator',
    router,
    tls,
    clock,
    faults,
    log,
    timers,
    bodyLimitBytes,
  });
  origin = shared.origin;

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      timers.cancelAll();
      delivery.stop();
      await Promise.allSettled([shared.close(), ...[...vaults.values()].map((vault) => vault.close())]);
      await delivery.idle();
    })();
    return stopping;
  };

  try {
    for (const name of options.vaults) await addVault(name);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    origin,
    armEndpoint: origin,
    get vaults() {
      return control.vaults();
    },
    caCert: tls.caCert,
    caCertFile,
    clock,
    control,
    ...(invariants ? { invariants } : {}),
    stop,
  };
}
