/**
 * The propagator against local HTTP receivers (webhook, Teams, Slack, health URL) with a counting site
 * restarter and a recording Event Grid sender: parallelism, partial failure, retries, coalesced restarts,
 * signatures and the no-values rule.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RestartOptions, SiteRestarter } from './app-service/restarter.js';
import type { RotatorEventGridEvent } from './eventgrid/events.js';
import type { EventGridClientFactory } from './eventgrid/publisher.js';
import { createPropagator } from './propagator.js';
import { FAST_TIMING } from './retry.js';
import type { ConsumerConfigInput } from './settings.js';
import { fixedClock, mapResolver, recordingLogger, testGroup, testRun } from './testing/fixtures.js';
import { type Receiver, startReceiver } from './testing/receiver.js';
import { verifyRotatorSignature } from './webhook/verify.js';

const SITE = '/subscriptions/sub-1/resourceGroups/rg-app/providers/Microsoft.Web/sites/web-api';
const signingKey = randomBytes(32).toString('hex');
const accessKey = randomBytes(32).toString('base64');
/** A value as a provider would mint it: must never leave the rotator through a consumer. */
const secretValue = `sk-${randomBytes(24).toString('hex')}`;

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterEach(() => receiver.reset());
afterAll(async () => {
  await receiver.close();
});

function harness(
  consumers: Record<string, ConsumerConfigInput>,
  options: { failRestarts?: number; coalesceWindowMs?: number } = {},
) {
  const restarts: { resourceId: string; options: RestartOptions; at: number }[] = [];
  let failRestarts = options.failRestarts ?? 0;
  const restarter: SiteRestarter = {
    async restart(resourceId, restartOptions) {
      restarts.push({ resourceId, options: restartOptions, at: Date.now() });
      if (failRestarts > 0) {
        failRestarts -= 1;
        throw Object.assign(new Error('Service Unavailable'), { statusCode: 503 });
      }
    },
  };
  const published: { endpoint: string; events: RotatorEventGridEvent[] }[] = [];
  const eventGrid: EventGridClientFactory = (endpoint, key) => ({
    async send(events) {
      if (key !== accessKey) throw Object.assign(new Error('Unauthorized'), { statusCode: 401 });
      published.push({ endpoint, events });
    },
  });
  const log = recordingLogger();
  const propagator = createPropagator({
    consumers,
    resolveSetting: mapResolver({
      'hook-signing-key': signingKey,
      'topic-key': accessKey,
      'slack-url': receiver.url('/slack'),
    }),
    restarter,
    eventGrid,
    clock: fixedClock(),
    log,
    timing:
      options.coalesceWindowMs === undefined
        ? FAST_TIMING
        : { ...FAST_TIMING, coalesceWindowMs: options.coalesceWindowMs },
  });
  return { propagator, restarts, published, log };
}

const group = (consumers: string[], id = 'openai') =>
  testGroup({ id, consumers, secrets: [{ ...testGroup().secrets[0]!, group: id }] });

describe('createPropagator', () => {
  it('updates every kind of consumer, in parallel, and records an outcome for each', async () => {
    // Each receiver holds its answer for 1.5 s and notes when the request arrived: if the consumers were
    // updated one after the other, the arrivals would be at least 1.5 s apart.
    const arrivals: number[] = [];
    const slow = (status: number) => () => {
      arrivals.push(Date.now());
      return { status, delayMs: 1500 };
    };
    receiver.respond('/hook', slow(200));
    receiver.respond('/teams', slow(202));
    receiver.respond('/slack', slow(200));
    const { propagator, restarts, published } = harness({
      hook: { type: 'webhook', url: receiver.url('/hook'), signingKey: { secretRef: 'hook-signing-key' } },
      teams: { type: 'teams', url: receiver.url('/teams') },
      slack: { type: 'slack', url: { secretRef: 'slack-url' } },
      web: { type: 'app-service', resourceId: SITE, healthUrl: receiver.url('/health') },
      grid: {
        type: 'eventgrid',
        endpoint: 'https://127.0.0.1:1/topics/t/api/events',
        accessKey: { secretRef: 'topic-key' },
      },
    });
    const outcomes = await propagator.propagate(testRun(), group(['hook', 'teams', 'slack', 'web', 'grid']));

    expect(outcomes.map((o) => [o.name, o.status, o.attempts])).toEqual([
      ['hook', 'ok', 1],
      ['teams', 'ok', 1],
      ['slack', 'ok', 1],
      ['web', 'ok', 1],
      ['grid', 'ok', 1],
    ]);
    // All three requests were in flight together (overlap, not wall time, proves parallelism).
    expect(arrivals).toHaveLength(3);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(1500);
    expect(outcomes.find((o) => o.name === 'web')?.detail).toBe(
      'restarted web-api (soft); healthy after 1 poll',
    );
    expect(outcomes.find((o) => o.name === 'teams')?.detail).toBe('teams answered HTTP 202');
    expect(outcomes.every((o) => o.at === '2030-01-01T00:01:00.000Z')).toBe(true);
    expect(restarts).toEqual([
      { resourceId: SITE, options: { soft: true, synchronous: false }, at: expect.any(Number) },
    ]);
    expect(published[0]?.events).toHaveLength(1);
    expect(receiver.to('/health')).toHaveLength(1);
  });

  it('sends a signed webhook with the documented body, which a receiver verifies', async () => {
    const { propagator } = harness({
      hook: { type: 'webhook', url: receiver.url('/hook'), signingKey: { secretRef: 'hook-signing-key' } },
    });
    await propagator.propagate(testRun({ compromised: true }), group(['hook']));
    const [request] = receiver.to('/hook');
    expect(request?.headers['content-type']).toBe('application/json; charset=utf-8');
    const verdict = verifyRotatorSignature({
      rawBody: request!.rawBody,
      timestamp: request!.headers['x-rotator-timestamp'] as string,
      signature: request!.headers['x-rotator-signature'] as string,
      signingKey,
    });
    expect(verdict).toEqual({ ok: true });
    const body = JSON.parse(request!.rawBody);
    expect(body).toEqual({
      id: expect.any(String),
      type: 'rotation.completed',
      runId: 'run-kv-test-openai-v1',
      vault: 'kv-test',
      secrets: ['openai-key'],
      group: 'openai',
      newVersions: { 'openai-key': 'v2' },
      credentialId: 'key2',
      status: 'promoted',
      compromised: true,
      occurredAt: '2030-01-01T00:00:05.000Z',
    });
  });

  it('keeps going when one consumer fails for good: the others succeed, the failure is recorded', async () => {
    receiver.respond('/hook', () => 500);
    const { propagator, log } = harness({
      hook: { type: 'webhook', url: receiver.url('/hook'), signingKey: 'inline-key' },
      teams: { type: 'teams', url: receiver.url('/teams') },
      web: { type: 'app-service', resourceId: SITE },
    });
    const outcomes = await propagator.propagate(testRun(), group(['hook', 'teams', 'web']));
    expect(outcomes.map((o) => [o.name, o.status])).toEqual([
      ['hook', 'failed'],
      ['teams', 'ok'],
      ['web', 'ok'],
    ]);
    const hook = outcomes[0]!;
    expect(hook.attempts).toBe(FAST_TIMING.retry.attempts);
    expect(hook.detail).toContain('HTTP 500');
    expect(receiver.to('/hook')).toHaveLength(FAST_TIMING.retry.attempts);
    expect(log.lines.filter((line) => line.level === 'warn')).toHaveLength(FAST_TIMING.retry.attempts - 1);
    expect(log.lines.find((line) => line.level === 'error')?.fields).toMatchObject({
      consumer: 'hook',
      attempts: 3,
    });
    // The synchronous restart is asked for when no health URL says when the site is back.
    expect(outcomes[2]!.detail).toBe('restarted web-api (soft)');
  });

  it('retries a transient failure, then succeeds; does not retry a 4xx', async () => {
    receiver.respond('/slack', (_req, index) =>
      index < 2 ? { status: 503, headers: { 'retry-after': '0' } } : 200,
    );
    receiver.respond('/teams', () => 400);
    const { propagator } = harness({
      slack: { type: 'slack', url: receiver.url('/slack') },
      teams: { type: 'teams', url: receiver.url('/teams') },
    });
    const outcomes = await propagator.propagate(testRun(), group(['slack', 'teams']));
    expect(outcomes).toMatchObject([
      { name: 'slack', status: 'ok', attempts: 3 },
      { name: 'teams', status: 'failed', attempts: 1 },
    ]);
  });

  it('retries a restart that ARM refused with 503', async () => {
    const { propagator, restarts } = harness(
      { web: { type: 'app-service', resourceId: SITE } },
      { failRestarts: 1 },
    );
    const [outcome] = await propagator.propagate(testRun(), group(['web']));
    expect(outcome).toMatchObject({ status: 'ok', attempts: 2 });
    expect(restarts).toHaveLength(2);
  });

  it('restarts a site shared by three groups of one batch once', async () => {
    const { propagator, restarts } = harness({
      web: { type: 'app-service', resourceId: SITE, softRestart: true },
      'web-again': { type: 'app-service', resourceId: SITE.toLowerCase() },
    });
    const outcomes = await Promise.all([
      propagator.propagate(testRun({ id: 'run-a', group: 'a' }), group(['web'], 'a')),
      propagator.propagate(testRun({ id: 'run-b', group: 'b' }), group(['web'], 'b')),
      propagator.propagate(testRun({ id: 'run-c', group: 'c' }), group(['web-again'], 'c')),
    ]);
    expect(restarts).toHaveLength(1);
    for (const [outcome] of outcomes) {
      expect(outcome).toMatchObject({
        status: 'ok',
        detail: 'restarted web-api (soft, one restart shared by 3 requests)',
      });
    }
  });

  it('restarts at once for an announced run alone, and shares one restart among announced siblings', async () => {
    // A window of a minute: were it waited for, these tests would time out.
    const { propagator, restarts } = harness(
      {
        web: { type: 'app-service', resourceId: SITE },
        hook: { type: 'webhook', url: receiver.url('/hook'), signingKey: { secretRef: 'hook-signing-key' } },
      },
      { coalesceWindowMs: 60_000 },
    );
    const withdrawA = propagator.expect!(group(['web', 'hook'], 'a'), 'run-a');
    const [alone] = await propagator.propagate(testRun({ id: 'run-a', group: 'a' }), group(['web'], 'a'));
    expect(alone).toMatchObject({ status: 'ok', detail: 'restarted web-api (soft)' });
    withdrawA();
    expect(restarts).toHaveLength(1);

    const withdrawB = propagator.expect!(group(['web'], 'b'), 'run-b');
    const withdrawC = propagator.expect!(group(['web'], 'c'), 'run-c');
    const b = propagator.propagate(testRun({ id: 'run-b', group: 'b' }), group(['web'], 'b'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(restarts).toHaveLength(1); // run-c is still on its way
    const c = propagator.propagate(testRun({ id: 'run-c', group: 'c' }), group(['web'], 'c'));
    const outcomes = await Promise.all([b, c]);
    expect(restarts).toHaveLength(2);
    for (const [outcome] of outcomes) {
      expect(outcome).toMatchObject({ detail: 'restarted web-api (soft, one restart shared by 2 requests)' });
    }
    withdrawB();
    withdrawC();
  });

  it('waits for the health URL and fails (without retrying the restart) when it never comes up', async () => {
    receiver.respond('/health', (_req, index) => (index < 2 ? 503 : 200));
    receiver.respond('/sick', () => 503);
    const { propagator, restarts } = harness({
      web: { type: 'app-service', resourceId: SITE, healthUrl: receiver.url('/health') },
      worker: {
        type: 'app-service',
        resourceId: `${SITE.replace('web-api', 'worker')}/slots/staging`,
        softRestart: false,
        healthUrl: receiver.url('/sick'),
        healthTimeoutSeconds: 1,
      },
    });
    const [web, worker] = await propagator.propagate(testRun(), group(['web', 'worker']));
    expect(web).toMatchObject({ status: 'ok', detail: 'restarted web-api (soft); healthy after 3 polls' });
    expect(worker).toMatchObject({ status: 'failed', attempts: 1 });
    expect(worker!.detail).toMatch(
      /^ValidationTimeout: health check did not answer 2xx within 1 s .*last: HTTP 503/,
    );
    expect(restarts.map((r) => r.options)).toContainEqual({
      soft: false,
      synchronous: false,
      slot: 'staging',
    });
  });

  it('records unknown consumers and invalid config as failures without contacting anything', async () => {
    const { propagator } = harness({
      typo: { type: 'webhook', url: 'ftp://example.invalid/hook', signingKey: 'k' },
      conflicting: { type: 'app-service', resourceId: `${SITE}/slots/blue`, slot: 'green' },
    });
    const outcomes = await propagator.propagate(testRun(), group(['missing', 'typo', 'conflicting']));
    expect(outcomes).toMatchObject([
      { name: 'missing', status: 'failed', attempts: 0, detail: "consumer 'missing' is not configured" },
      { name: 'typo', status: 'failed', attempts: 0 },
      { name: 'conflicting', status: 'failed', attempts: 1 },
    ]);
    expect(outcomes[1]!.detail).toContain('url');
    expect(outcomes[2]!.detail).toContain("slot 'green' contradicts");
    expect(receiver.requests).toHaveLength(0);
  });

  it('collects consumers of the group and of each secret, once each; none means no work', async () => {
    const { propagator } = harness({ teams: { type: 'teams', url: receiver.url('/teams') } });
    const secret = { ...testGroup().secrets[0]!, consumers: ['teams'] };
    const outcomes = await propagator.propagate(
      testRun(),
      testGroup({ consumers: ['teams'], secrets: [secret] }),
    );
    expect(outcomes).toHaveLength(1);
    expect(await propagator.propagate(testRun(), testGroup())).toEqual([]);
  });

  it('puts no secret value, signing key or access key in any payload, outcome or log line', async () => {
    receiver.respond('/hook', (_req, index) => (index === 0 ? 502 : 200));
    const { propagator, published, log } = harness({
      hook: { type: 'webhook', url: receiver.url('/hook'), signingKey: { secretRef: 'hook-signing-key' } },
      teams: { type: 'teams', url: receiver.url('/teams') },
      slack: { type: 'slack', url: { secretRef: 'slack-url' } },
      grid: {
        type: 'eventgrid',
        endpoint: 'https://127.0.0.1:1/topics/t/api/events',
        accessKey: { secretRef: 'topic-key' },
      },
    });
    const run = testRun({ keyHint: secretValue.slice(-4) });
    const outcomes = await propagator.propagate(run, group(['hook', 'teams', 'slack', 'grid']));
    expect(outcomes.every((o) => o.status === 'ok')).toBe(true);
    const everything = JSON.stringify({
      bodies: receiver.requests.map((r) => r.rawBody),
      headers: receiver.requests.map((r) => ({ ...r.headers, 'x-rotator-signature': undefined })),
      published,
      outcomes,
      log: log.lines,
    });
    expect(everything).toContain('openai-key');
    for (const secret of [secretValue, signingKey, accessKey]) expect(everything).not.toContain(secret);
  });
});
