/** The notifier against local receivers: routing, filters, formats, retries, and undeliverable alerts. */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../rotation/ports.js';
import type { RotatorEventGridEvent } from '../eventgrid/events.js';
import type { EventGridClientFactory } from '../eventgrid/publisher.js';
import { FAST_TIMING } from '../retry.js';
import type { ChannelConfigInput } from '../settings.js';
import { fixedClock, mapResolver, recordingLogger } from '../testing/fixtures.js';
import { type Receiver, startReceiver } from '../testing/receiver.js';
import { verifyRotatorSignature } from '../webhook/verify.js';
import { createNotifier } from './notifier.js';

const signingKey = randomBytes(32).toString('hex');
const accessKey = randomBytes(32).toString('base64');
const slackToken = randomBytes(12).toString('hex');

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterEach(() => receiver.reset());
afterAll(async () => {
  await receiver.close();
});

function harness(channels: Record<string, ChannelConfigInput>, globalChannels: string[] = []) {
  const published: RotatorEventGridEvent[][] = [];
  const eventGrid: EventGridClientFactory = (_endpoint, key) => ({
    async send(events) {
      if (key !== accessKey) throw Object.assign(new Error('Unauthorized'), { statusCode: 401 });
      published.push(events);
    },
  });
  const log = recordingLogger();
  const notifier = createNotifier({
    channels,
    globalChannels,
    resolveSetting: mapResolver({
      'ops-signing-key': signingKey,
      'slack-url': receiver.url(`/slack/${slackToken}`),
      'grid-key': accessKey,
    }),
    eventGrid,
    clock: fixedClock(),
    log,
    timing: FAST_TIMING,
  });
  return { notifier, published, log };
}

const failedAlert: Alert = {
  kind: 'run-failed',
  severity: 'critical',
  title: 'Rotation of openai-key failed',
  text: 'The new key was rejected by the provider; the previous version stays current.',
  vault: 'kv-test',
  secrets: ['openai-key'],
  runId: 'run-1',
  channels: ['team-chat'],
};

describe('createNotifier', () => {
  it('sends to the global channels plus the alert’s own, formatted per channel type', async () => {
    const { notifier, published } = harness(
      {
        'ops-hook': {
          type: 'webhook',
          url: receiver.url('/ops'),
          signingKey: { secretRef: 'ops-signing-key' },
        },
        'ops-slack': { type: 'slack', url: { secretRef: 'slack-url' } },
        'ops-grid': {
          type: 'eventgrid',
          endpoint: 'https://127.0.0.1:1/topics/ops/api/events',
          accessKey: { secretRef: 'grid-key' },
        },
        'team-chat': { type: 'teams', url: receiver.url('/teams') },
        unused: { type: 'teams', url: receiver.url('/unused') },
      },
      ['ops-hook', 'ops-slack', 'ops-grid'],
    );
    const deliveries = await notifier.send(failedAlert);
    expect(deliveries).toEqual([
      { channel: 'ops-hook', status: 'sent', attempts: 1, at: '2030-01-01T00:01:00.000Z' },
      { channel: 'ops-slack', status: 'sent', attempts: 1, at: '2030-01-01T00:01:00.000Z' },
      { channel: 'ops-grid', status: 'sent', attempts: 1, at: '2030-01-01T00:01:00.000Z' },
      { channel: 'team-chat', status: 'sent', attempts: 1, at: '2030-01-01T00:01:00.000Z' },
    ]);
    expect(receiver.to('/unused')).toHaveLength(0);

    const [hook] = receiver.to('/ops');
    expect(
      verifyRotatorSignature({
        rawBody: hook!.rawBody,
        timestamp: hook!.headers['x-rotator-timestamp'] as string,
        signature: hook!.headers['x-rotator-signature'] as string,
        signingKey,
      }),
    ).toEqual({ ok: true });
    expect(JSON.parse(hook!.rawBody)).toEqual({
      id: expect.any(String),
      type: 'rotation.failed',
      kind: 'run-failed',
      severity: 'critical',
      title: failedAlert.title,
      text: failedAlert.text,
      runId: 'run-1',
      vault: 'kv-test',
      secrets: ['openai-key'],
      occurredAt: '2030-01-01T00:01:00.000Z',
    });
    const slack = JSON.parse(receiver.to(`/slack/${slackToken}`)[0]!.rawBody);
    expect(slack.text).toContain('Rotation of openai-key failed');
    expect(slack.blocks[0].type).toBe('header');
    const teams = JSON.parse(receiver.to('/teams')[0]!.rawBody);
    expect(teams.attachments[0].content.type).toBe('AdaptiveCard');
    expect(published[0]?.[0]).toMatchObject({
      eventType: 'KeyVaultRotator.RotationFailed',
      subject: '/vaults/kv-test/secrets/openai-key',
    });
  });

  it('applies each channel’s events filter; success notes and digests only where asked', async () => {
    const { notifier } = harness(
      {
        all: { type: 'teams', url: receiver.url('/all') },
        failures: { type: 'teams', url: receiver.url('/failures'), events: ['run-failed'] },
        successes: {
          type: 'slack',
          url: receiver.url('/successes'),
          events: ['run-succeeded', 'run-failed'],
        },
        digest: { type: 'slack', url: receiver.url('/digest'), digest: true },
      },
      ['all', 'failures', 'successes', 'digest'],
    );
    const succeeded: Alert = { ...failedAlert, kind: 'run-succeeded', severity: 'info', channels: [] };
    const manual: Alert = {
      ...failedAlert,
      kind: 'manual-action-required',
      severity: 'warning',
      channels: [],
    };
    const digest: Alert = {
      kind: 'digest',
      severity: 'info',
      title: 'Daily digest',
      text: '3 rotations',
      channels: [],
    };
    const sentTo = async (alert: Alert) => (await notifier.send(alert)).map((delivery) => delivery.channel);
    expect(await sentTo(succeeded)).toEqual(['successes']);
    expect(await sentTo(manual)).toEqual(['all', 'digest']);
    expect(await sentTo({ ...failedAlert, channels: [] })).toEqual([
      'all',
      'failures',
      'successes',
      'digest',
    ]);
    expect(await sentTo(digest)).toEqual(['digest']);
  });

  it('retries a failing channel and records the attempts when it recovers', async () => {
    receiver.respond('/teams', (_req, index) => (index < 2 ? 502 : 200));
    const { notifier } = harness({ 'team-chat': { type: 'teams', url: receiver.url('/teams') } });
    const [delivery] = await notifier.send(failedAlert);
    expect(delivery).toMatchObject({ channel: 'team-chat', status: 'sent', attempts: 3 });
  });

  it('records an undeliverable alert after its retries and logs it at error level — never drops it', async () => {
    receiver.respond('/teams', () => 503);
    const { notifier, log } = harness(
      {
        'team-chat': { type: 'teams', url: receiver.url('/teams') },
        'ops-hook': {
          type: 'webhook',
          url: receiver.url('/ops'),
          signingKey: { secretRef: 'ops-signing-key' },
        },
      },
      ['ops-hook'],
    );
    const deliveries = await notifier.send({ ...failedAlert, channels: ['team-chat', 'ghost'] });
    expect(deliveries).toMatchObject([
      { channel: 'ops-hook', status: 'sent', attempts: 1 },
      { channel: 'team-chat', status: 'failed', attempts: FAST_TIMING.retry.attempts },
      { channel: 'ghost', status: 'failed', attempts: 0, error: "channel 'ghost' is not configured" },
    ]);
    expect(deliveries[1]!.error).toContain('HTTP 503');
    expect(receiver.to('/teams')).toHaveLength(FAST_TIMING.retry.attempts);
    const errors = log.lines.filter((line) => line.level === 'error');
    expect(errors.map((line) => line.fields?.channel).sort()).toEqual(['ghost', 'team-chat']);
    for (const line of errors) expect(line.fields).toMatchObject({ kind: 'run-failed', runId: 'run-1' });
  });

  it('fails deliveries loudly for an invalid channel config or an unresolvable secretRef', async () => {
    const { notifier, log } = harness({
      broken: { type: 'webhook', url: receiver.url('/ops') } as unknown as ChannelConfigInput,
      unresolved: { type: 'teams', url: { secretRef: 'no-such-secret' } },
    });
    const deliveries = await notifier.send({ ...failedAlert, channels: ['broken', 'unresolved'] });
    expect(deliveries.map((d) => [d.channel, d.status])).toEqual([
      ['broken', 'failed'],
      ['unresolved', 'failed'],
    ]);
    expect(deliveries[0]!.error).toContain('signingKey');
    expect(log.lines.filter((line) => line.level === 'error')).toHaveLength(2);
  });

  it('logs an alert that matches no channel instead of dropping it silently', async () => {
    const { notifier, log } = harness(
      { quiet: { type: 'teams', url: receiver.url('/q'), events: ['digest'] } },
      ['quiet'],
    );
    expect(await notifier.send({ ...failedAlert, channels: [] })).toEqual([]);
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'alert matched no channel',
        fields: expect.objectContaining({ kind: 'run-failed' }),
      }),
    );
  });

  it('keeps keys and token-bearing URLs out of payloads, deliveries and logs', async () => {
    receiver.respond(`/slack/${slackToken}`, (_req, index) => (index === 0 ? 500 : 200));
    const { notifier, log, published } = harness(
      {
        'ops-hook': {
          type: 'webhook',
          url: receiver.url('/ops'),
          signingKey: { secretRef: 'ops-signing-key' },
        },
        'ops-slack': { type: 'slack', url: { secretRef: 'slack-url' } },
        'ops-grid': {
          type: 'eventgrid',
          endpoint: 'https://127.0.0.1:1/t/api/events',
          accessKey: { secretRef: 'grid-key' },
        },
      },
      ['ops-hook', 'ops-slack', 'ops-grid'],
    );
    const deliveries = await notifier.send(failedAlert);
    const everything = JSON.stringify({
      bodies: receiver.requests.map((r) => r.rawBody),
      deliveries,
      published,
      log: log.lines,
    });
    expect(everything).toContain('openai-key');
    for (const secret of [signingKey, accessKey, slackToken]) expect(everything).not.toContain(secret);
  });
});
