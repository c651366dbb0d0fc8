/**
 * Settings read ahead (`Propagator.prepare`): a webhook's signing key is read from Key Vault while the run
 * writes its versions, and the delivery uses it without reading again — once, while fresh, and never
 * for a secret of the group being rotated.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SiteRestarter } from './app-service/restarter.js';
import type { EventGridClientFactory } from './eventgrid/publisher.js';
import { createPropagator } from './propagator.js';
import { createReadAhead } from './read-ahead.js';
import { FAST_TIMING } from './retry.js';
import type { ResolveSetting } from './settings.js';
import { fixedClock, recordingLogger, testGroup, testRun } from './testing/fixtures.js';
import { type Receiver, startReceiver } from './testing/receiver.js';

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterEach(() => receiver.reset());
afterAll(async () => {
  await receiver.close();
});

/** A resolver that counts Key Vault reads per secret name and can fail the next ones. */
function countingResolver(values: Record<string, string>) {
  const reads: string[] = [];
  let failNext = 0;
  const resolve: ResolveSetting = async (value) => {
    if (typeof value === 'string') return value;
    reads.push(value.secretRef);
    if (failNext > 0) {
      failNext -= 1;
      throw Object.assign(new Error('Service Unavailable'), { statusCode: 503 });
    }
    const found = values[value.secretRef];
    if (found === undefined) throw new Error(`no secret named ${value.secretRef}`);
    return found;
  };
  return { resolve, reads, failNext: (n: number) => (failNext = n) };
}

const restarter: SiteRestarter = { restart: async () => {} };
const eventGrid: EventGridClientFactory = () => ({ send: async () => {} });

function propagatorWith(resolve: ResolveSetting, now: () => number = () => performance.now()) {
  return createPropagator({
    consumers: {
      hook: { type: 'webhook', url: receiver.url('/hook'), signingKey: { secretRef: 'hook-signing-key' } },
    },
    resolveSetting: resolve,
    restarter,
    eventGrid,
    clock: fixedClock(),
    log: recordingLogger(),
    timing: FAST_TIMING,
    monotonicNow: now,
  });
}

const group = testGroup({ consumers: ['hook'] });

describe('reading consumer settings ahead', () => {
  it('prepare reads the signing key; the delivery uses it without a second read', async () => {
    const kv = countingResolver({ 'hook-signing-key': 'k'.repeat(32) });
    const propagator = propagatorWith(kv.resolve);
    propagator.prepare!(group);
    expect(kv.reads).toEqual(['hook-signing-key']);
    const [outcome] = await propagator.propagate(testRun(), group);
    expect(outcome).toMatchObject({ name: 'hook', status: 'ok' });
    expect(kv.reads).toEqual(['hook-signing-key']);
    expect(receiver.to('/hook')).toHaveLength(1);
    // the next run reads it again (a signing key may itself be rotated)
    await propagator.propagate(testRun(), group);
    expect(kv.reads).toEqual(['hook-signing-key', 'hook-signing-key']);
  });

  it('does not read ahead a secret of the group being rotated', async () => {
    const kv = countingResolver({ 'openai-key': 'k'.repeat(32) });
    const ahead = createReadAhead(kv.resolve, { ttlMs: 1_000, now: () => 0 });
    ahead.start(
      [{ type: 'webhook', url: receiver.url('/hook'), signingKey: { secretRef: 'OpenAI-Key' } }],
      new Set(group.secrets.map((s) => s.name.toLowerCase())),
    );
    expect(kv.reads).toEqual([]);
  });

  it('a value older than the time to live is read again', async () => {
    const kv = countingResolver({ 'hook-signing-key': 'k'.repeat(32) });
    let now = 0;
    const ahead = createReadAhead(kv.resolve, { ttlMs: 1_000, now: () => now });
    ahead.start(
      [{ type: 'webhook', url: receiver.url('/hook'), signingKey: { secretRef: 'hook-signing-key' } }],
      new Set(),
    );
    now = 1_000;
    await ahead.resolve({ secretRef: 'hook-signing-key' });
    expect(kv.reads).toEqual(['hook-signing-key', 'hook-signing-key']);
  });

  it('a failed read ahead surfaces in the delivery, whose retry reads again', async () => {
    const kv = countingResolver({ 'hook-signing-key': 'k'.repeat(32) });
    kv.failNext(1);
    const propagator = propagatorWith(kv.resolve);
    propagator.prepare!(group);
    const [outcome] = await propagator.propagate(testRun(), group);
    expect(outcome).toMatchObject({ name: 'hook', status: 'ok', attempts: 2 });
    expect(kv.reads).toEqual(['hook-signing-key', 'hook-signing-key']);
  });
});
