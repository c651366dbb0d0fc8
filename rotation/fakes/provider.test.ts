import { describeProviderContract } from '../../providers/contract.js';
import { createFakeProvider, FakeKeyService } from './provider.js';

describeProviderContract(
  'in-memory fake (key pair)',
  { mode: 'automatic', retrieve: true, revoke: true },
  (world) => {
    const service = new FakeKeyService();
    return {
      provider: createFakeProvider({ service, faults: world.faults }),
      settings: { resourceId: '/subscriptions/0000/resourceGroups/rg/providers/Fake/accounts/a' },
      seed: (w, group) => {
        for (const secret of group.secrets) {
          w.store.seed(group.vault, secret.name, {
            value: service.keys.key1,
            tags: { CredentialId: 'key1' },
          });
        }
      },
      isLive: async (_w, _group, credential) => service.isLive(credential.value),
    };
  },
);

describeProviderContract(
  'in-memory fake (manual)',
  { mode: 'manual', retrieve: true, revoke: true },
  (world) => {
    const service = new FakeKeyService();
    return {
      provider: createFakeProvider({ service, faults: world.faults, mode: 'manual', kind: 'groq' }),
      settings: {},
      seed: (w, group) => {
        for (const secret of group.secrets)
          w.store.seed(group.vault, secret.name, { value: service.keys.key1 });
      },
      isLive: async (_w, _group, credential) => service.isLive(credential.value),
    };
  },
);
