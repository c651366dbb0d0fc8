/**
 * `keyVaultEvents` (Event Grid trigger, one event per invocation): Key Vault says a secret nears expiry or
 * expired → enqueue a run; the worker rotates (triggers never rotate inline, DESIGN.md).
 *
 * - `SecretNearExpiry` / `SecretExpired` of a managed secret → `enqueueRotation` with the event's version as
 *   the trigger version (a duplicate or late event maps to the same run). `SecretExpired` also alerts
 *   `secret-expired` unless that version was already rotated away.
 * - `SecretExpired` of an unmanaged secret in a configured vault → alert `secret-expired`, acknowledge.
 * - `SecretNewVersionCreated`: the rotator's own versions (`RotatedBy` tag) are ignored; a version set by
 *   someone else goes to `onVersionSetByHand` (default: a manual provider's value is checked, then promoted
 *   or replaced by the last valid one, `rotation/manual`).
 * - Malformed event, foreign vault, non-secret object, unmanaged secret → logged and acknowledged.
 * - Transient problems (storage, journal, Key Vault unavailable) → thrown, so Event Grid redelivers.
 */
import type { EventGridEvent, InvocationContext } from '@azure/functions';
import type { GetApp, RotatorApp } from '../composition/app.js';
import { getRotatorApp } from '../composition/instance.js';
import { withFields } from '../composition/logger.js';
import {
  type CurrentRead,
  enqueueRotation,
  isRotatorVersion,
  readCurrent,
} from '../rotation/engine/index.js';
import { describeError, RotationError } from '../rotation/errors.js';
import { type KeyVaultSecretEvent, parseSingleEvent } from '../rotation/events/index.js';
import { checkVersionSetByHand } from '../rotation/manual/events.js';
import type { Logger, ManagedSecret, RunRecord } from '../rotation/ports.js';
import type { EventGridFunctionDefinition, EventGridFunctionHandler } from './definition.js';
import { isPermanent, retryableError } from './trigger-errors.js';

/** What became of one event (returned for tests and logged). */
export type KeyVaultEventOutcome =
  | { kind: 'queued' | 'existing'; runId: string; status: RunRecord['status']; alerted: boolean }
  | { kind: 'ignored'; reason: IgnoredReason; alerted?: boolean };

export type IgnoredReason =
  | 'rejected'
  | 'foreign-vault'
  | 'unmanaged'
  | 'own-version'
  | 'version-set-by-hand'
  | 'version-not-found'
  | 'permanent-error';

/**
 * Extension point for a `SecretNewVersionCreated` of a managed secret that the rotator did not write (a
 * human set a value by hand). Called after the event was recognised; throw to make Event Grid redeliver.
 */
export type VersionSetByHandHandler = (
  app: RotatorApp,
  event: KeyVaultSecretEvent,
  secret: ManagedSecret,
  log: Logger,
) => Promise<void>;

export interface KeyVaultEventsOptions {
  onVersionSetByHand?: VersionSetByHandHandler;
}

/** Default: checked with the provider, then promoted or reverted (manual providers); else logged. */
const defaultVersionSetByHand: VersionSetByHandHandler = checkVersionSetByHand;

/** Expired-secret alerts already sent by this process (Event Grid delivers at least once). */
const EXPIRED_ALERTS_REMEMBERED = 1000;

export function createKeyVaultEventsHandler(
  getApp: GetApp,
  options: KeyVaultEventsOptions = {},
): EventGridFunctionHandler {
  const alerted = new Set<string>();
  const onVersionSetByHand = options.onVersionSetByHand ?? defaultVersionSetByHand;
  return async (event: EventGridEvent, context: InvocationContext) => {
    const app = await getApp();
    const log = withFields(app.log, {
      functionName: context.functionName,
      invocationId: context.invocationId,
    });
    await handleKeyVaultEvent(app, event, log, { onVersionSetByHand, alerted });
  };
}

interface HandlerState {
  onVersionSetByHand: VersionSetByHandHandler;
  alerted: Set<string>;
}

/** Handles one delivered event; throws only when Event Grid should redeliver it. */
export async function handleKeyVaultEvent(
  app: RotatorApp,
  input: unknown,
  log: Logger,
  state: HandlerState = { onVersionSetByHand: defaultVersionSetByHand, alerted: new Set() },
): Promise<KeyVaultEventOutcome> {
  const parsed = parseSingleEvent(input);
  if (!parsed.ok) {
    const { reason, message, id, eventType } = parsed.rejection;
    log.warn('event rejected; acknowledged', { reason, detail: message, eventId: id, eventType });
    return { kind: 'ignored', reason: 'rejected' };
  }
  const event = parsed.event;
  const fields = { eventId: event.id, eventType: event.type, vault: event.vault, secret: event.name };
  if (!app.config.vaults.some((v) => v.name === event.vault)) {
    log.info('event for a vault that is not configured; acknowledged', fields);
    return { kind: 'ignored', reason: 'foreign-vault' };
  }
  try {
    const read = await readFirst(app, event);
    const secret = await app.engine.catalog.resolveSecret(event.vault, event.name);
    if (event.type === 'SecretNewVersionCreated') return await newVersion(app, event, secret, log, state);
    if (!secret) {
      const alerted =
        event.type === 'SecretExpired' && (await alertExpired(app, event, undefined, undefined, state));
      log.info('event for a secret the rotator does not manage; acknowledged', { ...fields, alerted });
      return { kind: 'ignored', reason: 'unmanaged', alerted };
    }
    return await enqueue(app, event, secret, log, state, read);
  } catch (error) {
    if (isPermanent(error)) {
      log.error('event cannot be acted on; acknowledged', { ...fields, error: describeError(error) });
      return { kind: 'ignored', reason: 'permanent-error' };
    }
    log.warn('event not handled; Event Grid will redeliver it', { ...fields, error: describeError(error) });
    throw retryableError(error);
  }
}

/**
 * `SecretNearExpiry`/`SecretExpired` of a secret rotation.json does not configure: the catalog needs its
 * current version's tags to tell whether (and how) it is managed, and the trigger reads the current
 * version anyway, to check that the event's version is still current. Read it once, fresh, here: the
 * catalog is handed its tags and the engine checks the event's version against the same read. A
 * configured secret needs no tags, so it is read only when its event names a new run (a duplicate event
 * costs no read). `SecretNewVersionCreated` reads the version it names instead (`newVersion`).
 */
async function readFirst(app: RotatorApp, event: KeyVaultSecretEvent): Promise<CurrentRead | undefined> {
  if (event.type === 'SecretNewVersionCreated' || app.config.findSecret(event.vault, event.name)) {
    return undefined;
  }
  return readCurrent(app.engine, event.vault, event.name);
}

async function enqueue(
  app: RotatorApp,
  event: KeyVaultSecretEvent,
  secret: ManagedSecret,
  log: Logger,
  state: HandlerState,
  read: CurrentRead | undefined,
): Promise<KeyVaultEventOutcome> {
  const outcome = await enqueueRotation(
    app.engine,
    {
      vault: event.vault,
      secret: secret.name,
      triggerVersion: event.version,
      trigger: { kind: 'event', eventId: event.id, eventType: event.eventType },
      requestedAt: app.engine.clock.now().toISOString(),
    },
    read ? { current: read } : {},
  );
  if (outcome.kind !== 'run')
    throw new RotationError('InternalError', 'enqueueRotation planned instead of queuing');
  const { run } = outcome;
  // An expired version the rotator already replaced needs no alarm; anything else does.
  const rotatedAway =
    run.status === 'done' ||
    run.status === 'revoked' ||
    run.status === 'propagated-with-errors' ||
    run.error?.code === 'StaleTrigger';
  const alerted =
    event.type === 'SecretExpired' && !rotatedAway && (await alertExpired(app, event, secret, run, state));
  log.info(outcome.created ? 'run queued for event' : 'event maps to an existing run', {
    eventId: event.id,
    eventType: event.type,
    runId: run.id,
    status: run.status,
    enqueued: outcome.enqueued,
    alerted,
  });
  return { kind: outcome.created ? 'queued' : 'existing', runId: run.id, status: run.status, alerted };
}

async function newVersion(
  app: RotatorApp,
  event: KeyVaultSecretEvent,
  secret: ManagedSecret | undefined,
  log: Logger,
  state: HandlerState,
): Promise<KeyVaultEventOutcome> {
  const fields = { eventId: event.id, vault: event.vault, secret: event.name, version: event.version };
  if (!secret) {
    log.info('new version of a secret the rotator does not manage; acknowledged', fields);
    return { kind: 'ignored', reason: 'unmanaged' };
  }
  // Most new versions are the rotator's own promotions: this instance may know without reading back.
  if (app.engine.store.wroteOwnVersion?.(event.vault, secret.name, event.version)) {
    log.info('new version written by the rotator; ignored', { ...fields, known: 'written here' });
    return { kind: 'ignored', reason: 'own-version' };
  }
  const version = await app.engine.store.getVersion(event.vault, secret.name, event.version);
  if (!version) {
    log.info('new version no longer exists; acknowledged', fields);
    return { kind: 'ignored', reason: 'version-not-found' };
  }
  if (isRotatorVersion(version.tags)) {
    log.info('new version written by the rotator; ignored', fields);
    return { kind: 'ignored', reason: 'own-version' };
  }
  await state.onVersionSetByHand(app, event, secret, log);
  return { kind: 'ignored', reason: 'version-set-by-hand' };
}

/** Sends `secret-expired` once per (vault, secret, version) per process; true when sent. */
async function alertExpired(
  app: RotatorApp,
  event: KeyVaultSecretEvent,
  secret: ManagedSecret | undefined,
  run: RunRecord | undefined,
  state: HandlerState,
): Promise<boolean> {
  const key = `${event.vault}/${event.name.toLowerCase()}/${event.version.toLowerCase()}`;
  if (state.alerted.has(key)) return false;
  const managed = secret !== undefined;
  const deliveries = await app.engine.notifier.send({
    kind: 'secret-expired',
    severity: 'critical',
    title: `Secret expired: ${event.name} in ${event.vault}`,
    text: managed
      ? `Version ${event.version} of ${event.name} expired and was not rotated in time` +
        `${run ? ` (run ${run.id} is ${run.status})` : ''}. Clients reading it may now fail; check the run and rotate.`
      : `Version ${event.version} of ${event.name} expired. The rotator does not manage this secret: renew it by hand, or add it to rotation.json.`,
    vault: event.vault,
    secrets: [event.name],
    ...(run ? { runId: run.id } : {}),
    channels: managed ? [...secret.channels] : Object.keys(app.config.channels),
  });
  state.alerted.add(key);
  if (state.alerted.size > EXPIRED_ALERTS_REMEMBERED) {
    const oldest = state.alerted.values().next().value;
    if (oldest !== undefined) state.alerted.delete(oldest);
  }
  return deliveries.some((d) => d.status === 'sent');
}

export function keyVaultEventsFunction(
  getApp: GetApp = getRotatorApp,
  options: KeyVaultEventsOptions = {},
): EventGridFunctionDefinition {
  return {
    name: 'keyVaultEvents',
    trigger: { type: 'eventGrid' },
    handler: createKeyVaultEventsHandler(getApp, options),
  };
}

/** The registered function (`functions/definitions.ts`). */
export const keyVaultEvents = keyVaultEventsFunction();
