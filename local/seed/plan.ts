/**
 * What the local stack must declare and seed for a `rotation.json`: ARM resources (Cognitive Services
 * accounts of the right kind, Communication services, every app-service consumer's site), Event Grid topics
 * for eventgrid consumers and channels, the configured secrets with their expiry, and every `{ secretRef }`
 * a consumer or channel reads. Pure: no value is generated here (see `values.ts`).
 */
import type { ResolvedConfig } from '../../rotation/config/index.js';
import type { ProviderKind } from '../../rotation/kinds.js';
import type { ManagedSecret } from '../../rotation/model.js';
import type { ResourceDeclaration } from '../emulator/index.js';

const DAY_MS = 86_400_000;
/** Seeded expiries fall between these many days from now (some inside 30 days: due in the inventory). */
export const FIRST_EXPIRY_DAYS = 2;
export const LAST_EXPIRY_DAYS = 88;

/** An ARM id split into what a declaration needs. Slots are returned apart (`…/sites/<name>/slots/<slot>`). */
export interface ParsedArmId {
  subscriptionId: string;
  resourceGroup: string;
  type: string;
  name: string;
  slot?: string;
}

const ARM_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+\/[^/]+)\/([^/]+)(?:\/slots\/([^/]+))?\/?$/i;

export function parseArmId(id: string): ParsedArmId | undefined {
  const match = ARM_ID.exec(id.trim());
  if (!match) return undefined;
  const [, subscriptionId, resourceGroup, type, name, slot] = match;
  return {
    subscriptionId: subscriptionId!,
    resourceGroup: resourceGroup!,
    type: type!,
    name: name!,
    ...(slot === undefined ? {} : { slot }),
  };
}

/** What a `{ secretRef }` secret is for: decides the value seeded for it. */
export type RefRole =
  | { kind: 'chat-url'; chat: 'teams' | 'slack'; owner: string }
  | { kind: 'webhook-url'; owner: string }
  | { kind: 'signing-key'; owner: string }
  | { kind: 'eventgrid-endpoint'; topic: string }
  | { kind: 'eventgrid-key'; topic: string };

export interface RefPlan {
  vault: string;
  name: string;
  role: RefRole;
}

/** An Event Grid topic the emulator must have; `key1` when the config gives the access key inline. */
export interface TopicPlan {
  name: string;
  key1?: string;
}

export interface SecretPlan {
  secret: ManagedSecret;
  /** Expiry as days from the emulator's now (the same for every secret of a credential group). */
  expiresInDays: number;
}

export interface SeedPlan {
  vaults: string[];
  resources: ResourceDeclaration[];
  topics: TopicPlan[];
  secrets: SecretPlan[];
  refs: RefPlan[];
  /** Things the local stack cannot provide; printed as warnings, never fatal. */
  warnings: string[];
}

const SPEECH_HINT = /speech|tts|stt|voice/i;

/**
 * The Cognitive Services account kind: the secret's `settings.kind` when given, `SpeechServices` when the
 * account or secret name says speech/TTS/voice, else `OpenAI`.
 */
export function cognitiveKind(accountName: string, secrets: readonly ManagedSecret[]): string {
  for (const secret of secrets) {
    const kind = secret.settings.kind;
    if (typeof kind === 'string' && kind.trim() !== '') return kind;
  }
  if (SPEECH_HINT.test(accountName) || secrets.some((s) => SPEECH_HINT.test(s.name))) return 'SpeechServices';
  return 'OpenAI';
}

const ARM_TYPES: Partial<Record<ProviderKind, 'cognitive' | 'communication'>> = {
  'azure-cognitive-services': 'cognitive',
  'azure-communication': 'communication',
};

function keyPairResources(config: ResolvedConfig, warnings: string[]): ResourceDeclaration[] {
  const byId = new Map<
    string,
    { parsed: ParsedArmId; kind: 'cognitive' | 'communication'; secrets: ManagedSecret[] }
  >();
  for (const secret of config.secrets) {
    const kind = ARM_TYPES[secret.provider];
    if (kind === undefined) continue;
    const resourceId = secret.settings.resourceId;
    const parsed = typeof resourceId === 'string' ? parseArmId(resourceId) : undefined;
    if (!parsed) {
      warnings.push(`secret ${secret.name}: settings.resourceId is not an ARM id; no resource declared`);
      continue;
    }
    const key = (resourceId as string).trim().toLowerCase();
    const entry = byId.get(key) ?? { parsed, kind, secrets: [] };
    entry.secrets.push(secret);
    byId.set(key, entry);
  }
  return [...byId.values()].map(({ parsed, kind, secrets }): ResourceDeclaration => {
    const base = {
      subscriptionId: parsed.subscriptionId,
      resourceGroup: parsed.resourceGroup,
      name: parsed.name,
    };
    return kind === 'cognitive'
      ? { ...base, type: 'Microsoft.CognitiveServices/accounts', kind: cognitiveKind(parsed.name, secrets) }
      : { ...base, type: 'Microsoft.Communication/communicationServices' };
  });
}

function siteResources(config: ResolvedConfig, warnings: string[]): ResourceDeclaration[] {
  const sites = new Map<string, { parsed: ParsedArmId; slots: Set<string> }>();
  for (const [name, consumer] of Object.entries(config.consumers)) {
    if (consumer.type !== 'app-service') continue;
    const parsed = parseArmId(consumer.resourceId);
    if (!parsed) {
      warnings.push(`consumer ${name}: resourceId is not a site ARM id; no site declared`);
      continue;
    }
    const key = `${parsed.subscriptionId}/${parsed.resourceGroup}/${parsed.name}`.toLowerCase();
    const entry = sites.get(key) ?? { parsed, slots: new Set<string>() };
    for (const slot of [parsed.slot, consumer.slot]) {
      if (slot !== undefined && slot.toLowerCase() !== 'production') entry.slots.add(slot);
    }
    sites.set(key, entry);
  }
  return [...sites.values()].map(({ parsed, slots }) => ({
    type: 'Microsoft.Web/sites',
    subscriptionId: parsed.subscriptionId,
    resourceGroup: parsed.resourceGroup,
    name: parsed.name,
    ...(slots.size > 0 ? { slots: [...slots].sort() } : {}),
  }));
}

type SettingValue = string | { secretRef: string; vault?: string };

function refOf(value: SettingValue | undefined): { secretRef: string; vault?: string } | undefined {
  return value !== undefined && typeof value === 'object' ? value : undefined;
}

/** A topic name the emulator accepts (3-50 letters, digits, hyphens). */
export function topicNameFor(owner: string): string {
  const cleaned = owner.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 50);
  return cleaned.length >= 3 ? cleaned : `${cleaned}-topic`.slice(0, 50);
}

const LOCAL_TOPIC_PATH = /^\/topics\/([a-zA-Z0-9-]{3,50})\/api\/events\/?$/;

interface Sender {
  owner: string;
  where: 'consumer' | 'channel';
  type: string;
  url?: SettingValue;
  signingKey?: SettingValue;
  endpoint?: SettingValue;
  accessKey?: SettingValue;
}

function senders(config: ResolvedConfig): Sender[] {
  const out: Sender[] = [];
  for (const [owner, c] of Object.entries(config.consumers)) {
    if (c.type !== 'app-service') out.push({ owner, where: 'consumer', ...c });
  }
  for (const [owner, c] of Object.entries(config.channels)) out.push({ owner, where: 'channel', ...c });
  return out;
}

function refsAndTopics(config: ResolvedConfig, warnings: string[]): { refs: RefPlan[]; topics: TopicPlan[] } {
  const refs = new Map<string, RefPlan>();
  const topics = new Map<string, TopicPlan>();
  const fallbackVault = config.defaultVault ?? config.vaults[0]?.name ?? '';
  const addRef = (value: SettingValue | undefined, role: RefRole) => {
    const ref = refOf(value);
    if (!ref) return;
    const vault = (ref.vault ?? fallbackVault).toLowerCase();
    const key = `${vault}/${ref.secretRef.toLowerCase()}`;
    if (!refs.has(key)) refs.set(key, { vault, name: ref.secretRef, role });
  };
  for (const s of senders(config)) {
    const label = `${s.where} ${s.owner}`;
    if (s.type === 'teams' || s.type === 'slack') {
      addRef(s.url, { kind: 'chat-url', chat: s.type, owner: s.owner });
    } else if (s.type === 'webhook') {
      addRef(s.url, { kind: 'webhook-url', owner: s.owner });
      addRef(s.signingKey, { kind: 'signing-key', owner: s.owner });
    } else if (s.type === 'eventgrid') {
      let topic = topicNameFor(s.owner);
      if (typeof s.endpoint === 'string') {
        const match = URL.canParse(s.endpoint) ? LOCAL_TOPIC_PATH.exec(new URL(s.endpoint).pathname) : null;
        if (match?.[1]) topic = match[1];
        else warnings.push(`${label}: endpoint is not a local topic URL; its events will be refused locally`);
      }
      addRef(s.endpoint, { kind: 'eventgrid-endpoint', topic });
      addRef(s.accessKey, { kind: 'eventgrid-key', topic });
      const plan: TopicPlan =
        typeof s.accessKey === 'string' ? { name: topic, key1: s.accessKey } : { name: topic };
      topics.set(topic.toLowerCase(), plan);
    }
  }
  return { refs: [...refs.values()], topics: [...topics.values()] };
}

/**
 * Expiry per credential group: spread evenly from {@link FIRST_EXPIRY_DAYS} to {@link LAST_EXPIRY_DAYS}
 * in group order, never past the group's validity (a version cannot outlive its validity period).
 */
export function expirySpread(config: ResolvedConfig): SecretPlan[] {
  const groups = config.groups;
  const span = LAST_EXPIRY_DAYS - FIRST_EXPIRY_DAYS;
  const days = new Map<string, number>();
  groups.forEach((group, index) => {
    const offset =
      groups.length === 1 ? FIRST_EXPIRY_DAYS : FIRST_EXPIRY_DAYS + (span * index) / (groups.length - 1);
    // Whole hours: dates read naturally in reports.
    const rounded = Math.round(offset * 24) / 24;
    days.set(`${group.vault}/${group.id}`, Math.min(rounded, group.validityDays - 1));
  });
  return config.secrets.map((secret) => ({
    secret,
    expiresInDays: days.get(`${secret.vault}/${secret.group}`) ?? LAST_EXPIRY_DAYS,
  }));
}

export function expiryDate(now: Date, days: number): Date {
  return new Date(now.getTime() + days * DAY_MS);
}

export function planSeed(config: ResolvedConfig): SeedPlan {
  const warnings: string[] = [];
  const resources = [...keyPairResources(config, warnings), ...siteResources(config, warnings)];
  const { refs, topics } = refsAndTopics(config, warnings);
  const managed = new Set(config.secrets.map((s) => `${s.vault}/${s.name.toLowerCase()}`));
  for (const ref of refs) {
    if (managed.has(`${ref.vault}/${ref.name.toLowerCase()}`)) {
      warnings.push(`secret ${ref.name} is both managed and referenced by { secretRef }; seeded as managed`);
    }
  }
  return {
    vaults: config.vaults.map((v) => v.name),
    resources,
    topics,
    secrets: expirySpread(config),
    refs: refs.filter((ref) => !managed.has(`${ref.vault}/${ref.name.toLowerCase()}`)),
    warnings,
  };
}
