import { describe, expect, it } from 'vitest';
import { enqueueRotation } from '../rotation/engine/enqueue.js';
import { RotationError } from '../rotation/errors.js';
import { createScenario } from '../rotation/fakes/scenario.js';
import {
  createProviderRegistry,
  implementedKinds,
  manualHttpDeps,
  type ProviderRegistryDeps,
} from './registry.js';

/** ARM clients are built on first use only; building the registry must not ask for one. */
const unused = () => Promise.reject(new RotationError('InternalError', 'no ARM client in this test'));
const deps: ProviderRegistryDeps = {
  clients: { cognitiveServicesClient: unused, communicationClient: unused },
};

describe('provider registry', () => {
  it('holds only implemented providers, each under its own kind', () => {
    const registry = createProviderRegistry(deps);
    expect(implementedKinds(registry)).toEqual(
      expect.arrayContaining(['azure-cognitive-services', 'azure-communication', 'jwt-secret']),
    );
    for (const kind of implementedKinds(registry)) expect(registry[kind]?.kind).toBe(kind);
  });

  it('a kind without an adapter fails its run with ProviderNotImplemented', async () => {
    const { world, group, request } = createScenario({ group: { provider: 'deepseek', id: 'deepseek' } });
    Object.assign(world.providers, createProviderRegistry(deps));
    delete world.providers.deepseek;
    await enqueueRotation(world.deps, request());
    const [run] = await world.drain();
    expect(run).toMatchObject({ status: 'failed', error: { code: 'ProviderNotImplemented' } });
    expect(world.store.peek(group.vault, 'openai-key')?.tags.RotationId).toBeUndefined();
  });

  it('points manual providers at the emulator in local mode, and nowhere else otherwise', () => {
    const local = manualHttpDeps(
      { ...deps, emulatorOrigin: 'https://127.0.0.1:40123', dataPlane: { timeoutMs: 1000 } },
      'groq',
    );
    expect(local).toEqual({
      baseUrl: 'https://127.0.0.1:40123/groq/openai/v1',
      dataPlane: { timeoutMs: 1000 },
    });
    expect(manualHttpDeps(deps, 'groq')).toEqual({});
  });
});
