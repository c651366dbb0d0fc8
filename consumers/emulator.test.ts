/**
 * Consumers through real SDK clients against the local emulator (HTTPS, CA trusted per client): App Service
 * restarts via `WebSiteManagementClient`, Event Grid publishes via `EventGridPublisherClient` to the
 * emulator's topics, and the ordering promise — nothing restarts before the propagator is called, which the
 * engine does only after the new version is written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSiteManagementClient } from '@azure/arm-appservice';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientFactory } from '../azure/clients.js';
import { type RunningEmulator, startEmulator } from '../local/emulator/index.js';
import { emulatorRequest, emulatorSecretClient, localCredential } from '../local/emulator/testing.js';
import { isRotationError } from '../rotation/errors.js';
import { createSdkSiteRestarter } from './app-service/restarter.js';
import { createSdkEventGridClientFactory } from './eventgrid/publisher.js';
import { createPropagator } from './propagator.js';
import { FAST_TIMING } from './retry.js';
import { fixedClock, mapResolver, recordingLogger, testGroup, testRun } from './testing/fixtures.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const siteId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Web/sites/${name}`;

let emulator: RunningEmulator;
let stateDir: string;
const restarter = () =>
  createSdkSiteRestarter({
    webSiteClient: (subscriptionId) =>
      new WebSiteManagementClient(localCredential, subscriptionId, {
        endpoint: emulator.armEndpoint,
        tlsOptions: { ca: emulator.caCert },
        retryOptions: { maxRetries: 0 },
      }),
  });

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'consumers-sdk-'));
  emulator = await startEmulator({
    vaults: ['kv-consumers'],
    stateDir,
    resources: [
      { type: 'Microsoft.Web/sites', resourceGroup: 'rg-app', name: 'web-api', slots: ['staging'] },
      { type: 'Microsoft.Web/sites', resourceGroup: 'rg-app', name: 'locked', forbidden: ['restart'] },
    ],
  });
});
afterAll(async () => {
  await emulator?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('SDK site restarter', () => {
  it('restarts the production slot (soft) and a deployment slot (hard) through ARM', async () => {
    const before = emulator.control.arm.restarts().length;
    await restarter().restart(siteId('web-api'), { soft: true });
    await restarter().restart(`${siteId('web-api')}/slots/staging`, { soft: false, synchronous: true });
    const records = emulator.control.arm.restarts().slice(before);
    expect(records.map((r) => [r.site, r.slot, r.softRestart, r.synchronous])).toEqual([
      ['web-api', 'production', true, false],
      ['web-api', 'staging', false, true],
    ]);
  });

  it('maps a missing site to ResourceNotFound and a forbidden one to PermissionDenied (not transient)', async () => {
    const missing = await restarter()
      .restart(siteId('nope'), { soft: true })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isRotationError(missing, 'ResourceNotFound')).toBe(true);
    expect(missing).toMatchObject({ transient: false });
    expect((missing as Error).message).toContain('HTTP 404');
    const forbidden = await restarter()
      .restart(siteId('locked'), { soft: true })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isRotationError(forbidden, 'PermissionDenied')).toBe(true);
  });
});

describe('propagation order', () => {
  it('restarts nothing until the propagator is called after promotion, then restarts once', async () => {
    const secrets = emulatorSecretClient(emulator.vaults[0]!.url, emulator.caCert, {
      retryOptions: { maxRetries: 0 },
    });
    const before = emulator.control.arm.restarts().length;
    const propagator = createPropagator({
      consumers: { web: { type: 'app-service', resourceId: siteId('web-api') } },
      resolveSetting: mapResolver({}),
      restarter: restarter(),
      eventGrid: createSdkEventGridClientFactory({ ca: emulator.caCert }),
      clock: fixedClock(),
      log: recordingLogger(),
      timing: FAST_TIMING,
    });

    // Promotion: the new version is written first (the engine's order) …
    const promoted = await secrets.setSecret('openai-key', `new-${Date.now()}`);
    expect(emulator.control.arm.restarts().length).toBe(before);
    // … then propagation restarts the consumer.
    const calledAt = Date.now();
    const [outcome] = await propagator.propagate(
      testRun({ newVersions: { 'openai-key': promoted.properties.version! } }),
      testGroup({ consumers: ['web'] }),
    );
    expect(outcome).toMatchObject({ name: 'web', status: 'ok', attempts: 1 });
    const records = emulator.control.arm.restarts().slice(before);
    expect(records).toHaveLength(1);
    const restart = records[0]!;
    expect(restart.synchronous).toBe(true);
    expect(Date.parse(restart.realAt)).toBeGreaterThanOrEqual(calledAt);
    // Emulator clock: the restart comes after the version's creation.
    expect(Date.parse(restart.at)).toBeGreaterThanOrEqual(promoted.properties.createdOn!.getTime());
  });
});

describe('Event Grid through the emulator', () => {
  it('publishes RotationCompleted to an emulator topic, readable on the control API', async () => {
    const topic = emulator.control.topics.declare({ name: 'rotations' });
    const propagator = createPropagator({
      consumers: {
        grid: { type: 'eventgrid', endpoint: topic.endpoint, accessKey: { secretRef: 'grid-key' } },
      },
      resolveSetting: mapResolver({ 'grid-key': topic.key1 }),
      restarter: restarter(),
      eventGrid: createSdkEventGridClientFactory({ ca: emulator.caCert }),
      clock: fixedClock(),
      log: recordingLogger(),
      timing: FAST_TIMING,
    });
    const [outcome] = await propagator.propagate(testRun(), testGroup({ consumers: ['grid'] }));
    expect(outcome).toMatchObject({ name: 'grid', status: 'ok', detail: 'published 1 event to Event Grid' });
    const listed = await emulatorRequest(
      `${emulator.origin}/_emulator/topics/rotations/events`,
      emulator.caCert,
    );
    const events = (listed.json() as { value: { event: { eventType: string; subject: string } }[] }).value;
    expect(events.map((record) => [record.event.eventType, record.event.subject])).toEqual([
      ['KeyVaultRotator.RotationCompleted', '/vaults/kv-test/secrets/openai-key'],
    ]);
    expect(listed.text).not.toContain(topic.key1);
  });
});

describe('wired through the azure/ client factory (as the composition root does)', () => {
  it('restarts a slot and publishes an event with the factory’s clients', async () => {
    const factory = createClientFactory(
      {
        mode: 'local',
        caCert: emulator.caCert,
        vaultUrls: {},
        armEndpoint: emulator.armEndpoint,
        storageConnectionString: 'UseDevelopmentStorage=true',
      },
      { timing: 'fast' },
    );
    const topic = emulator.control.topics.declare({ name: 'factory-topic' });
    const before = emulator.control.arm.restarts().length;
    const propagator = createPropagator({
      consumers: {
        staging: {
          type: 'app-service',
          resourceId: `${siteId('web-api')}/slots/staging`,
          softRestart: false,
        },
        grid: { type: 'eventgrid', endpoint: topic.endpoint, accessKey: topic.key2 },
      },
      resolveSetting: mapResolver({}),
      restarter: createSdkSiteRestarter({
        webSiteClient: (subscriptionId) => factory.webSiteClient(subscriptionId),
      }),
      eventGrid: (endpoint, key) => factory.eventGridPublisher(endpoint, key, 'EventGrid'),
      clock: fixedClock(),
      log: recordingLogger(),
      timing: FAST_TIMING,
    });
    const outcomes = await propagator.propagate(testRun(), testGroup({ consumers: ['staging', 'grid'] }));
    expect(outcomes.map((o) => [o.name, o.status])).toEqual([
      ['staging', 'ok'],
      ['grid', 'ok'],
    ]);
    expect(emulator.control.arm.restarts().slice(before)).toMatchObject([
      { site: 'web-api', slot: 'staging', softRestart: false },
    ]);
    expect(emulator.control.topics.events('factory-topic')).toHaveLength(1);
  });
});
