/**
 * Config shapes the consumer and alert-channel adapters accept (`rotation.json` → `consumers`, `channels`).
 * The config loader may import these schemas; the adapters parse again at use time, so a hand-built config
 * gets the same checks. Strings that are secrets (signing keys, access keys, webhook URLs with tokens in
 * them) may be given as `{ secretRef }` and are resolved at delivery time, never logged.
 */
import { z } from 'zod';
import type { AlertKind } from '../rotation/ports.js';
import { parseSiteId } from './app-service/resource-id.js';

export const ALERT_KINDS = [
  'run-failed',
  'poison-message',
  'manual-action-required',
  'secret-expired',
  'run-succeeded',
  'propagation-failed',
  'invalid-value-reverted',
  'rotation-paused',
  'digest',
] as const satisfies readonly AlertKind[];

/** `{ "secretRef": "name", "vault"?: "vault" }`: the value lives in Key Vault. */
export const secretRefSchema = z.strictObject({
  secretRef: z.string().min(1),
  vault: z.string().min(1).optional(),
});

/** `"text"` or a {@link secretRefSchema} reference (model.ts `SettingValue`). */
export const settingValueSchema = z.union([z.string().min(1), secretRefSchema]);

const URL_RULE = 'must be an https:// URL (http:// is allowed only for localhost)';
const allowedUrl = z.string().refine(isAllowedUrl, { message: URL_RULE });

/** A URL given inline (checked now) or by reference (checked after resolution). */
const urlSetting = z.union([allowedUrl, secretRefSchema]);

export const appServiceConsumerSchema = z.strictObject({
  type: z.literal('app-service'),
  /** ARM id of the site (App Service or Function App), optionally ending in `/slots/<slot>`. */
  resourceId: z.string().refine((value) => parseSiteId(value).ok, {
    message: 'must be an ARM id of a Microsoft.Web/sites resource',
  }),
  slot: z.string().min(1).optional(),
  /** Soft restart (apply configuration, restart only if needed): default true. */
  softRestart: z.boolean().default(true),
  healthUrl: urlSetting.optional(),
  healthTimeoutSeconds: z.number().int().min(1).max(1800).default(120),
});

export const webhookConsumerSchema = z.strictObject({
  type: z.literal('webhook'),
  url: urlSetting,
  signingKey: settingValueSchema,
});

export const eventGridConsumerSchema = z.strictObject({
  type: z.literal('eventgrid'),
  /** Topic endpoint, e.g. `https://<topic>.<region>-1.eventgrid.azure.net/api/events`. */
  endpoint: urlSetting,
  accessKey: settingValueSchema,
});

export const teamsConsumerSchema = z.strictObject({ type: z.literal('teams'), url: urlSetting });
export const slackConsumerSchema = z.strictObject({ type: z.literal('slack'), url: urlSetting });

export const consumerConfigSchema = z.discriminatedUnion('type', [
  appServiceConsumerSchema,
  webhookConsumerSchema,
  eventGridConsumerSchema,
  teamsConsumerSchema,
  slackConsumerSchema,
]);

export type AppServiceConsumerConfig = z.output<typeof appServiceConsumerSchema>;
export type WebhookConsumerConfig = z.output<typeof webhookConsumerSchema>;
export type EventGridConsumerConfig = z.output<typeof eventGridConsumerSchema>;
export type ChatConsumerConfig = z.output<typeof teamsConsumerSchema> | z.output<typeof slackConsumerSchema>;
export type ConsumerConfig = z.output<typeof consumerConfigSchema>;
/** What `rotation.json` may say (defaults not yet applied). */
export type ConsumerConfigInput = z.input<typeof consumerConfigSchema>;
export type ConsumerKind = ConsumerConfig['type'];
export const CONSUMER_KINDS = [
  'app-service',
  'webhook',
  'eventgrid',
  'teams',
  'slack',
] as const satisfies readonly ConsumerKind[];

/**
 * Common channel options. `events`: the alert kinds this channel receives; when absent, every kind except
 * `run-succeeded` and `digest` (success notes go only where a channel asks). `digest: true` adds the daily
 * `digest` alert.
 */
const channelCommon = {
  events: z.array(z.enum(ALERT_KINDS)).min(1).optional(),
  digest: z.boolean().optional(),
};

export const channelConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('teams'), url: urlSetting, ...channelCommon }),
  z.strictObject({ type: z.literal('slack'), url: urlSetting, ...channelCommon }),
  z.strictObject({
    type: z.literal('webhook'),
    url: urlSetting,
    signingKey: settingValueSchema,
    ...channelCommon,
  }),
  z.strictObject({
    type: z.literal('eventgrid'),
    endpoint: urlSetting,
    accessKey: settingValueSchema,
    ...channelCommon,
  }),
]);

export type ChannelConfig = z.output<typeof channelConfigSchema>;
export type ChannelConfigInput = z.input<typeof channelConfigSchema>;
export type ChannelKind = ChannelConfig['type'];
export type SettingValueInput = z.output<typeof settingValueSchema>;

/** Resolves a `{ secretRef }` setting (or passes a plain string through). Values are never logged. */
export type ResolveSetting = (value: SettingValueInput) => Promise<string>;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * https everywhere; plain http only towards this machine (local receivers in tests and `npm start`).
 * The same rule as `rotation/config`'s, applied again to `{ secretRef }` values once resolved.
 */
export function isAllowedUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/** Flattens zod issues into `path: message` lines (for outcome details and errors; never includes values). */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}
