/**
 * Reading consumers' `{ secretRef }` settings (a webhook's signing key, an Event Grid topic key) while
 * the run writes Key Vault, so that propagation does not start with a Key Vault round trip of its own
 * (`npm run bench`, issue 11: the signing key read sat in front of every webhook delivery).
 *
 * A value read ahead is used once, by the next delivery that asks for it, and only while fresh (it is
 * still read per run: a signing key may itself be rotated). Settings naming a secret of the group being
 * rotated are not read ahead: their value is the one changing.
 */
import {
  type ConsumerConfig,
  type ResolveSetting,
  type SettingValueInput,
  secretRefSchema,
} from './settings.js';

export interface ReadAhead {
  /** Starts reading the `{ secretRef }` settings of `configs`, except refs to a secret named in `skip`. */
  start(configs: readonly ConsumerConfig[], skip: ReadonlySet<string>): void;
  /** What the adapters resolve settings with: a fresh value read ahead is taken, anything else read now. */
  resolve: ResolveSetting;
}

const keyOf = (ref: { secretRef: string; vault?: string | undefined }) =>
  `${ref.vault?.toLowerCase() ?? ''}/${ref.secretRef.toLowerCase()}`;

export function createReadAhead(
  read: ResolveSetting,
  options: { ttlMs: number; now: () => number },
): ReadAhead {
  const ahead = new Map<string, { value: Promise<string>; at: number }>();
  return {
    start(configs, skip) {
      const now = options.now();
      for (const [key, entry] of ahead) if (now - entry.at >= options.ttlMs) ahead.delete(key);
      for (const config of configs) {
        for (const setting of Object.values(config)) {
          const ref = secretRefSchema.safeParse(setting);
          if (!ref.success || skip.has(ref.data.secretRef.toLowerCase())) continue;
          const value = read(ref.data);
          value.catch(() => {}); // a failure is reported by the delivery that takes it (and retried)
          ahead.set(keyOf(ref.data), { value, at: now });
        }
      }
    },
    resolve(setting: SettingValueInput) {
      if (typeof setting !== 'string') {
        const key = keyOf(setting);
        const entry = ahead.get(key);
        ahead.delete(key);
        if (entry && options.now() - entry.at < options.ttlMs) return entry.value;
      }
      return read(setting);
    },
  };
}
