import { describe, expect, it } from 'vitest';
import { enqueueRotation } from '../../rotation/engine/index.js';
import { createFakeApp } from '../support/fake-app.js';

describe('createFakeApp', () => {
  it('resolves the config through the real loader and wires the fake engine ports', async () => {
    const { app, world } = createFakeApp();
    expect(app.config.findSecret('kv-test', 'JWT-SECRET-KEY')?.provider).toBe('jwt-secret');
    world.store.seed('kv-test', 'jwt-secret-key', { value: 'x'.repeat(64), tags: {} });
    const outcome = await enqueueRotation(app.engine, {
      vault: 'kv-test',
      secret: 'jwt-secret-key',
      trigger: { kind: 'http', reason: 'test' },
      requestedAt: world.clock.now().toISOString(),
    });
    expect(outcome.kind).toBe('run');
    expect(world.queue.takeVisible()).toHaveLength(1);
  });
});
