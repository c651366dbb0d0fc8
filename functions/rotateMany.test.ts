import { describe, expect, it } from 'vitest';
import type { RunRequest } from '../rotation/ports.js';
import {
  type ApiWorldOptions,
  autoWorker,
  call,
  createApiWorld,
  fakeState,
  parallelWorker,
} from '../test/support/http-api.js';
import { createRotateManyHandler } from './rotateMany.js';

const PATH = '/api/rotations';

function setup(options: ApiWorldOptions = {}) {
  const api = createApiWorld(options);
  const handler = createRotateManyHandler(api.getApp);
  const rotations = (body: unknown, extra: Parameters<typeof call>[4] = {}) =>
    call(handler, api.context, PATH, body, extra);
  return { ...api, handler, rotations };
}

describe('rotateMany: selections', () => {
  it('names: one run per credential group, one result per selected secret', async () => {
    const api = setup();
    const worker = autoWorker(api.world);
    const answer = await api.rotations({
      select: { names: ['openai-key', 'OPENAI-KEY-BATCH', 'jwt-secret-key'] },
      reason: 'after the offboarding of a contractor',
    });
    worker.stop();
    expect(answer.status).toBe(200);
    expect(answer.body.summary).toMatchObject({
      secrets: 3,
      groups: 2,
      finished: 2,
      unfinished: 0,
      byStatus: { done: 3 },
    });
    expect(answer.body.results.map((r: { secret: string; status: string }) => [r.secret, r.status])).toEqual([
      ['jwt-secret-key', 'done'],
      ['openai-key', 'done'],
      ['openai-key-batch', 'done'],
    ]);
    const [, openai, batch] = answer.body.results;
    expect(openai.runId).toBe(batch.runId);
    expect(openai.location).toBe(`/api/runs/${openai.runId}`);
    expect(api.world.queue.sent).toHaveLength(2);
    expect(
      api.world.queue.sent.every(
        (r: RunRequest) => r.trigger.reason === 'after the offboarding of a contractor',
      ),
    ).toBe(true);
  });

  it('provider and tag selections', async () => {
    const api = setup({ env: { HTTP_WAIT_SECONDS: '0' } });
    const byProvider = await api.rotations({ select: { provider: 'jwt-secret' }, reason: 'x' });
    expect(byProvider.status).toBe(202);
    expect(byProvider.body.results.map((r: { secret: string }) => r.secret)).toEqual(['jwt-secret-key']);

    const byTag = await api.rotations({ select: { tag: { TEAM: 'ai' } }, reason: 'x', dryRun: true });
    expect(byTag.body.results.map((r: { secret: string }) => r.secret)).toEqual(['groq-api-key']);
    const none = await api.rotations({ select: { tag: { team: 'nobody' } }, reason: 'x' });
    expect(none.status).toBe(200);
    expect(none.body.summary.secrets).toBe(0);
  });

  it('404 for unmanaged names and nothing queued; 400 for a bad selection; 413 over 64 KiB', async () => {
    const api = setup();
    const unmanaged = await api.rotations({ select: { names: ['openai-key', 'ghost'] }, reason: 'x' });
    expect(unmanaged.status).toBe(404);
    expect(unmanaged.body.error.details).toEqual([
      { path: '$.select.names[1]', message: 'ghost is not managed in vault kv-test' },
    ]);
    expect(api.world.queue.sent).toHaveLength(0);
    expect((await api.rotations({ select: { provider: 'nope' }, reason: 'x' })).status).toBe(400);
    expect((await api.rotations({ select: { all: false }, reason: 'x' })).status).toBe(400);
    expect((await api.rotations({ select: { names: [] }, reason: 'x' })).status).toBe(400);
    expect((await api.rotations({ select: { all: true, names: ['a'] }, reason: 'x' })).status).toBe(400);
    const big = await api.rotations(undefined, {
      raw: JSON.stringify({ select: { names: ['a'] }, reason: 'x', pad: 'p'.repeat(70 * 1024) }),
    });
    expect(big.status).toBe(413);
  });
});

describe('rotateMany: all + compromised needs a planId', () => {
  it('refuses without a planId, with a made-up or stale one, and accepts the dry run’s', async () => {
    const api = setup();
    const body = { select: { all: true }, reason: 'breach', compromised: true };
    const without = await api.rotations(body);
    expect(without).toMatchObject({ status: 400, body: { error: { code: 'PlanRequired' } } });
    const bogus = await api.rotations({ ...body, planId: 'abc.0123456789abcdef0123456789abcdef' });
    expect(bogus.status).toBe(400);
    expect(api.world.queue.sent).toHaveLength(0);

    const before = fakeState(api.world, [api.openai, api.groq]);
    const dry = await api.rotations({ ...body, dryRun: true });
    expect(dry.status).toBe(200);
    expect(fakeState(api.world, [api.openai, api.groq])).toEqual(before);
    expect(dry.body.planId).toMatch(/^[0-9a-z]+\.[0-9a-f]{32}$/);
    expect(dry.body.summary).toMatchObject({ secrets: 4, groups: 3, compromised: true });

    // A plan for another selection does not fit this one.
    const other = await api.rotations({
      select: { provider: 'groq' },
      reason: 'x',
      compromised: true,
      dryRun: true,
    });
    expect((await api.rotations({ ...body, planId: other.body.planId })).status).toBe(400);

    const worker = autoWorker(api.world);
    const answer = await api.rotations({ ...body, planId: dry.body.planId });
    worker.stop();
    expect(answer.status).toBe(200);
    expect(answer.body.summary.byStatus).toEqual({ revoked: 3, 'manual-action-required': 1 });
    const groq = answer.body.results.find((r: { secret: string }) => r.secret === 'groq-api-key');
    expect(groq.pendingHuman[0]).toMatch(/^URGENT/);

    // The same plan id no longer matches: the selection's versions changed.
    const replay = await api.rotations({ ...body, planId: dry.body.planId });
    expect(replay.status).toBe(400);
    expect(replay.body.error.message).toContain('does not match');
  });

  it('a plan id expires after 15 minutes', async () => {
    const api = setup();
    const body = { select: { all: true }, reason: 'breach', compromised: true };
    const dry = await api.rotations({ ...body, dryRun: true });
    api.world.clock.advance(16 * 60_000);
    const late = await api.rotations({ ...body, planId: dry.body.planId });
    expect(late.status).toBe(400);
    expect(late.body.error.details).toEqual([{ path: '$.planId', message: 'expired' }]);
  });
});

describe('rotateMany: bounded concurrency', () => {
  it('never runs more than ROTATION_CONCURRENCY runs at once, and every run finishes', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `jwt-extra-${i}`);
    const extraSecrets = Object.fromEntries(
      names.map((name) => [name, { provider: 'jwt-secret', settings: {}, consumers: ['auth-app'] }]),
    );
    // Seven JWT groups in all, each validated slowly so that runs overlap in time.
    const api = setup({ env: { HTTP_WAIT_SECONDS: '0' }, concurrency: 2, extraSecrets });
    for (const name of names) api.world.store.seed('kv-test', name, { value: 'c'.repeat(64), tags: {} });
    let active = 0;
    let peak = 0;
    const jwt = api.world.providers['jwt-secret']!;
    api.world.providers['jwt-secret'] = {
      ...jwt,
      async issue(ctx, current) {
        active += 1;
        peak = Math.max(peak, active);
        return jwt.issue(ctx, current);
      },
      async validate(ctx, credential) {
        await api.world.clock.sleep(5_000);
        return jwt.validate(ctx, credential);
      },
    };
    const propagate = api.world.propagator.propagate.bind(api.world.propagator);
    api.world.propagator.propagate = async (run, group) => {
      const outcomes = await propagate(run, group);
      if (group.provider === 'jwt-secret') active -= 1;
      return outcomes;
    };

    const answer = await api.rotations({ select: { provider: 'jwt-secret' }, reason: 'load test' });
    expect(answer.status).toBe(202);
    expect(answer.body.summary).toMatchObject({ groups: 7, concurrency: 2 });
    const runs = await parallelWorker(api.world);
    const finished = api.world.journal.all().filter((r) => r.status === 'done');
    expect(finished).toHaveLength(7);
    expect(peak).toBe(2);
    expect(runs.length).toBeGreaterThanOrEqual(7);
  });
});
