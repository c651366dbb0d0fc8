/**
 * Validates `rotation.json` section by section and entry by entry with the zod schema, so that one bad
 * entry neither hides the problems of the others nor stops the cross-checks on the valid ones.
 */
import { z } from 'zod';
import type { ErrorDetail } from '../errors.js';
import { didYouMean, jsonPath, key, zodIssuesToDetails } from './issues.js';
import { isSecretName, REF_NAME_PATTERN, REF_NAME_RULE, SECRET_NAME_RULE } from './names.js';
import {
  type ChannelConfig,
  type ConfigDefaults,
  type ConsumerConfig,
  channelSchema,
  consumerSchema,
  defaultsSchema,
  remindersSchema,
  rotationConfigSchema,
  type SecretEntry,
  secretSchema,
  vaultSchema,
} from './schema.js';

export type VaultEntry = z.output<typeof vaultSchema>;

export interface ParsedSections {
  vaults: { index: number; vault: VaultEntry }[];
  defaults: ConfigDefaults;
  /** Valid channels / consumers / secrets only; `*Names` also hold names whose entry was invalid. */
  channels: Map<string, ChannelConfig>;
  channelNames: string[];
  consumers: Map<string, ConsumerConfig>;
  consumerNames: string[];
  secrets: { name: string; entry: SecretEntry }[];
  reminders: number[];
}

let vocabularyCache: string[] | undefined;
/** Every property name the schema knows, for "did you mean" hints. */
function vocabulary(): string[] {
  if (vocabularyCache) return vocabularyCache;
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'properties' && v && typeof v === 'object')
          for (const name of Object.keys(v)) names.add(name);
        walk(v);
      }
    }
  };
  walk(z.toJSONSchema(rotationConfigSchema, { io: 'input' }));
  vocabularyCache = [...names];
  return vocabularyCache;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function parseSections(raw: unknown, details: ErrorDetail[]): ParsedSections {
  const words = vocabulary();
  const result: ParsedSections = {
    vaults: [],
    defaults: defaultsSchema.parse({}),
    channels: new Map(),
    channelNames: [],
    consumers: new Map(),
    consumerNames: [],
    secrets: [],
    reminders: remindersSchema.parse(undefined),
  };
  if (!isPlainObject(raw)) {
    details.push({ path: '$', message: 'must be a JSON object with "vaults" and "secrets"' });
    return result;
  }
  const topKeys = Object.keys(rotationConfigSchema.shape);
  for (const k of Object.keys(raw)) {
    if (!topKeys.includes(k)) {
      details.push({ path: jsonPath([k]), message: `is not a known property${didYouMean(k, topKeys)}` });
    }
  }
  if (raw.$schema !== undefined && typeof raw.$schema !== 'string') {
    details.push({ path: '$.$schema', message: 'must be a string' });
  }

  // vaults
  if (raw.vaults === undefined)
    details.push({ path: '$.vaults', message: 'is required: list at least one vault' });
  else if (!Array.isArray(raw.vaults))
    details.push({ path: '$.vaults', message: 'must be a list of { "name": … }' });
  else if (raw.vaults.length === 0)
    details.push({ path: '$.vaults', message: 'must list at least one vault' });
  else {
    raw.vaults.forEach((value, index) => {
      const parsed = vaultSchema.safeParse(value);
      if (parsed.success) result.vaults.push({ index, vault: parsed.data });
      else details.push(...zodIssuesToDetails(parsed.error.issues, ['vaults', index], value, words));
    });
  }

  // defaults
  const defaults = defaultsSchema.safeParse(raw.defaults ?? {});
  if (defaults.success) result.defaults = defaults.data;
  else details.push(...zodIssuesToDetails(defaults.error.issues, ['defaults'], raw.defaults, words));

  // named maps
  const section = <T>(
    name: 'channels' | 'consumers' | 'secrets',
    schema: z.ZodType<T>,
    validName: (n: string) => boolean,
    nameRule: string,
    onValid: (entryName: string, value: T) => void,
  ): string[] => {
    const value = raw[name];
    if (value === undefined) return [];
    if (!isPlainObject(value)) {
      details.push({
        path: jsonPath([name]),
        message: `must be an object keyed by ${name.slice(0, -1)} name`,
      });
      return [];
    }
    for (const [entryName, entry] of Object.entries(value)) {
      if (!validName(entryName)) {
        details.push({ path: jsonPath([name, key(entryName)]), message: `the name ${nameRule}` });
        continue;
      }
      const parsed = schema.safeParse(entry);
      if (parsed.success) onValid(entryName, parsed.data);
      else details.push(...zodIssuesToDetails(parsed.error.issues, [name, key(entryName)], entry, words));
    }
    return Object.keys(value);
  };
  const isRefName = (n: string) => REF_NAME_PATTERN.test(n);
  result.channelNames = section('channels', channelSchema, isRefName, REF_NAME_RULE, (n, v) =>
    result.channels.set(n, v),
  );
  result.consumerNames = section('consumers', consumerSchema, isRefName, REF_NAME_RULE, (n, v) =>
    result.consumers.set(n, v),
  );
  section('secrets', secretSchema, isSecretName, SECRET_NAME_RULE, (n, v) =>
    result.secrets.push({ name: n, entry: v }),
  );

  // reminders
  const reminders = remindersSchema.safeParse(raw.reminders);
  if (reminders.success) result.reminders = reminders.data;
  else details.push(...zodIssuesToDetails(reminders.error.issues, ['reminders'], raw.reminders, words));

  return result;
}
