import { describe, expect, it } from 'vitest';
import { enqueueRotation } from '../rotation/engine/enqueue.js';
import { createScenario } from '../rotation/fakes/scenario.js';
import { createProviderRegistry, implementedKinds } from './registry.js';

describe('provider registry', () => {
  it('holds only implemented providers, each under its own kind', () => {
    const registry = createProviderRegistry();
    expect(implementedKinds(registry)).toContain('jwt-secret');
    for (const kind of implementedKinds(registry)) expect(registry[kind]?.kind).toBe(kind);
  });

  it('a kind without an adapter fails its run with ProviderNotImplemented', async () => {
    const { world, group, request } = createScenario({ group: { provider: 'deepseek', id: 'deepseek' } });
    Object.assign(world.providers, createProviderRegistry());
    delete world.providers.deepseek;
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'failed', error: { code: 'ProviderNotImplemented' } });
    expect(world.store.peek(group.vault, 'openai-key')?.tags.RotationId).toBeUndefined();
  });
});
