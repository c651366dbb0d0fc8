/**
 * The worker's message handling over the in-memory fakes: what completes the message, what is put back,
 * and what is thrown for the queue to retry (with nothing but code and message).
 */
import { describe, expect, it } from 'vitest';
import type { RotatorApp } from '../composition/app.js';
import { loadConfig } from '../rotation/config/index.js';
import { enqueueRotation, groupLeaseKey } from '../rotation/engine/index.js';
import { isRotationError } from '../rotation/errors.js';
import { createScenario, MemoryLogger } from '../rotation/fakes/index.js';
import { loadSettings } from '../rotation/settings.js';
import { handleRunMessage } from './rotationWorker.js';

function setup() {
  const scenario = createScenario();
  const app: RotatorApp = {
    settings: loadSettings({}),
    config: loadConfig({ vaults: [{ name: scenario.group.vault }] }),
    engine: scenario.world.deps,
    log: scenario.world.log,
    mode: 'local',
  };
  return { ...scenario, app, log: new MemoryLogger() };
}

describe('rotationWorker', () => {
  it('executes a run request and completes the message', async () => {
    const { app, request, log, world } = setup();
    await enqueueRotation(app.engine, request());
    const [message] = world.queue.takeVisible();
    const outcome = await handleRunMessage(app, message, log);
    expect(outcome).toMatchObject({ kind: 'executed', run: { status: 'done' } });
  });

  it('completes messages that can never succeed: not a run request, an unmanaged secret', async () => {
    const { app, request, log } = setup();
    expect(await handleRunMessage(app, { hello: 'world' }, log)).toEqual({
      kind: 'rejected',
      code: 'BadRequest',
    });
    expect(await handleRunMessage(app, 'bm90IGpzb24=', log)).toEqual({
      kind: 'rejected',
      code: 'BadRequest',
    });
    expect(await handleRunMessage(app, request({ secret: 'not-managed' }), log)).toEqual({
      kind: 'rejected',
      code: 'UnmanagedSecret',
    });
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(3);
  });

  it('while the group is busy: completes a duplicate of a running run, puts a waiting one back with a delay', async () => {
    const { app, request, log, world, group } = setup();
    const lease = await world.locks.tryAcquire(groupLeaseKey(group.vault, group.id), 60);
    expect(lease).toBeDefined();
    const queued = await enqueueRotation(app.engine, request());
    if (queued.kind !== 'run') throw new Error('expected a run');
    world.queue.takeVisible();

    const deferred = await handleRunMessage(app, request({ triggerVersion: queued.run.triggerVersion }), log);
    expect(deferred).toMatchObject({ kind: 'deferred', runId: queued.run.id });
    expect(world.queue.messages).toHaveLength(1);
    expect(world.queue.messages[0]!.visibleAt.getTime()).toBeGreaterThan(world.clock.now().getTime());

    const row = (await world.journal.get(queued.run.id))!;
    await world.journal.replace({ ...row.run, status: 'running', phase: 'claimed' }, row.etag);
    const duplicate = await handleRunMessage(
      app,
      request({ triggerVersion: queued.run.triggerVersion }),
      log,
    );
    expect(duplicate).toEqual({ kind: 'duplicate', runId: queued.run.id });
    expect(world.queue.messages).toHaveLength(1);

    // A request naming the run continues it (a hand-over's propagation, the sweep's resume): its only
    // message, so it is put back rather than dropped.
    const continuation = await handleRunMessage(app, request({ runId: queued.run.id }), log);
    expect(continuation).toMatchObject({ kind: 'deferred', runId: queued.run.id });
    expect(world.queue.messages).toHaveLength(2);
    expect(world.queue.messages[1]!.request).toMatchObject({ runId: queued.run.id });
  });

  it('throws a retryable error carrying only code and message when storage fails', async () => {
    const { app, request, log, world } = setup();
    world.faults.inject({
      op: 'journal.get',
      times: 10,
      error: () =>
        Object.assign(new Error('table unavailable'), {
          statusCode: 503,
          request: { headers: { authorization: 'SharedKey devstoreaccount1:c2lnbmF0dXJl' } },
        }),
    });
    const error = await handleRunMessage(app, request(), log).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRotationError(error)).toBe(true);
    expect(error).toMatchObject({ transient: true });
    expect(JSON.stringify(error)).not.toContain('SharedKey');
    expect((error as Error).cause).toBeUndefined();
  });
});
