/**
 * Seeds a freshly started emulator for a `rotation.json`: every configured secret with a value that is
 * valid at its emulated provider, Microsoft's rotation tags and an expiry spread over the next months, and
 * every `{ secretRef }` a consumer or channel reads (chat and webhook URLs pointing at the local alert sink,
 * signing keys, Event Grid topic endpoints and keys). Writes go through the project's own Key Vault adapter
 * and the real `SecretClient`. Values are generated here at run time and never printed.
 */
import { randomBytes } from 'node:crypto';
import type { ResolvedConfig } from '../../rotation/config/index.js';
import type { SecretStore } from '../../rotation/ports.js';
import type { EmulatorControl, TopicInfo } from '../emulator/index.js';
import type { AlertSink } from '../sink.js';
import { expiryDate, type RefPlan, type SeedPlan } from './plan.js';
import { groupCredential, seedTags, valueForSecret } from './values.js';

export { planSeed, type SeedPlan } from './plan.js';

export interface SeedOptions {
  config: ResolvedConfig;
  plan: SeedPlan;
  control: EmulatorControl;
  /** Writes the secrets (a `KeyVaultSecretStore` over the emulator's vaults). */
  store: SecretStore;
  sink: Pick<AlertSink, 'urlFor'>;
}

export interface SeedSummary {
  /** Managed secrets written. */
  secrets: number;
  /** `{ secretRef }` secrets written. */
  references: number;
  /** Managed secrets expiring within 30 days (due for rotation). */
  dueWithin30Days: number;
  /** Event Grid topics declared for eventgrid consumers and channels. */
  topics: string[];
}

const NEAR_EXPIRY_DAYS = 30;

function refValue(ref: RefPlan, sink: SeedOptions['sink'], topics: Map<string, TopicInfo>): string {
  const role = ref.role;
  switch (role.kind) {
    case 'chat-url':
      return sink.urlFor(role.chat, role.owner);
    case 'webhook-url':
      return sink.urlFor('webhook', role.owner);
    case 'signing-key':
      return randomBytes(32).toString('base64');
    case 'eventgrid-endpoint':
    case 'eventgrid-key': {
      const topic = topics.get(role.topic.toLowerCase());
      if (!topic) throw new Error(`topic ${role.topic} was not declared`);
      return role.kind === 'eventgrid-endpoint' ? topic.endpoint : topic.key1;
    }
  }
}

export async function seedLocalStack(options: SeedOptions): Promise<SeedSummary> {
  const { config, plan, control, store, sink } = options;
  const topics = new Map<string, TopicInfo>();
  for (const topic of plan.topics) {
    const info = control.topics.declare(topic.key1 === undefined ? { name: topic.name } : topic);
    topics.set(info.name.toLowerCase(), info);
  }

  const now = control.now();
  const writes: Promise<unknown>[] = [];
  const expiryByName = new Map(
    plan.secrets.map((p) => [`${p.secret.vault}/${p.secret.name}`, p.expiresInDays]),
  );
  for (const group of config.groups) {
    const credential = groupCredential(group.provider, group.secrets, control);
    for (const secret of group.secrets) {
      const days = expiryByName.get(`${secret.vault}/${secret.name}`);
      writes.push(
        store.setSecret(secret.vault, secret.name, {
          value: valueForSecret(secret, credential),
          tags: seedTags(secret, credential),
          ...(days === undefined ? {} : { expiresOn: expiryDate(now, days) }),
        }),
      );
    }
  }
  for (const ref of plan.refs) {
    writes.push(store.setSecret(ref.vault, ref.name, { value: refValue(ref, sink, topics), tags: {} }));
  }
  // Settle everything before reporting, so a failure never leaves writes running behind the caller.
  const results = await Promise.allSettled(writes);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;

  return {
    secrets: config.secrets.length,
    references: plan.refs.length,
    dueWithin30Days: plan.secrets.filter((p) => p.expiresInDays <= NEAR_EXPIRY_DAYS).length,
    topics: [...topics.values()].map((t) => t.name),
  };
}
