/**
 * The canary's tools: collect secret values as they come to exist (Key Vault versions, ARM keys as they
 * change, manual credentials) and find any of them, in any common encoding, in what the rotator wrote.
 */
import { QueueClient } from '@azure/storage-queue';
import type { ReliabilityStack } from './stack.js';

/** Every way a value could be written down: raw, base64, base64url, URL-encoded, JSON-escaped. */
export function encodings(value: string): string[] {
  const forms = new Set([
    value,
    Buffer.from(value, 'utf8').toString('base64'),
    Buffer.from(value, 'utf8').toString('base64url'),
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
  ]);
  return [...forms].filter((form) => form.length >= 8);
}

/** Where each value (in any encoding) appears: `<output>: …<last 4> (raw|encoded)`. */
export function findLeaks(outputs: Record<string, string[]>, values: Iterable<string>): string[] {
  const forms = [...values].map((value) => ({ value, forms: encodings(value) }));
  const hits: string[] = [];
  for (const [where, lines] of Object.entries(outputs)) {
    for (const line of lines) {
      for (const { value, forms: list } of forms) {
        for (const form of list) {
          if (line.includes(form))
            hits.push(`${where}: …${value.slice(-4)} (${form === value ? 'raw' : 'encoded'})`);
        }
      }
    }
  }
  return hits;
}

/** Collects the ARM keys of `resources` after every emulator request (keys change under regeneration). */
export function watchArmKeys(
  stack: ReliabilityStack,
  resources: { cognitive?: string[]; communication?: string[] },
  into: Set<string>,
): () => void {
  const sample = () => {
    const arm = stack.emulator.control.arm;
    for (const id of resources.cognitive ?? []) {
      const keys = arm.cognitiveKeys(id);
      into.add(keys.key1);
      into.add(keys.key2);
    }
    for (const id of resources.communication ?? []) {
      for (const value of Object.values(arm.communicationKeys(id)))
        if (typeof value === 'string') into.add(value);
    }
  };
  sample();
  return stack.emulator.control.onRequestCompleted(sample);
}

/** The value of every version of every secret in the vault. */
export async function allKeyVaultValues(stack: ReliabilityStack): Promise<string[]> {
  const values: string[] = [];
  const client = stack.secrets();
  for await (const secret of client.listPropertiesOfSecrets()) {
    for await (const version of client.listPropertiesOfSecretVersions(secret.name)) {
      const read = await client.getSecret(secret.name, { version: version.version! }).catch(() => undefined);
      if (read?.value) values.push(read.value);
    }
  }
  return values;
}

/** Everything the rotator wrote or answered, by kind of output. */
export async function rotatorOutputs(stack: ReliabilityStack): Promise<Record<string, string[]>> {
  const queued: string[] = [];
  for (const name of ['rotation-runs', 'rotation-runs-poison']) {
    const queue = new QueueClient(stack.azurite.connectionString, name);
    if (await queue.exists()) {
      for (const m of (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems)
        queued.push(m.messageText);
    }
  }
  return {
    'log lines': stack.logLines,
    'journal rows': (await stack.journalRows()).map((row) => JSON.stringify(row)),
    'HTTP answers and reports': stack.answers,
    'alerts and consumer notifications': stack.alerts.requests.map(
      (r) => `${r.path} ${JSON.stringify(r.headers)} ${r.rawBody}`,
    ),
    'emulator request log': stack.emulator.control.requests().map((r) => r.path),
    'storage request log': stack.proxy.requests().map((r) => `${r.path}${r.query}`),
    'queued messages': queued,
  };
}
