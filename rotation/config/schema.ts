/**
 * The zod schema of `rotation.json`. The same schema validates the file at load time and produces
 * `rotation.schema.json` (`npm run schema`), so editors and the loader never disagree.
 *
 * The schema checks shape only; rules that span entries (unknown consumer names, vault selection,
 * credential groups) live in `crosscheck.ts`.
 */
import { z } from 'zod';
import { PROVIDER_KINDS } from '../kinds.js';
import type { AlertKind } from '../ports.js';
import {
  GROUP_NAME_PATTERN,
  GROUP_NAME_RULE,
  REF_NAME_PATTERN,
  REF_NAME_RULE,
  secretNameSchema,
  vaultNameSchema,
} from './names.js';

/** Every alert kind a channel may subscribe to (mirrors `AlertKind` in `rotation/ports.ts`). */
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
/** Compile-time check that `ALERT_KINDS` lists every `AlertKind`. */
type MissingAlertKind = Exclude<AlertKind, (typeof ALERT_KINDS)[number]>;
const alertKindsComplete: MissingAlertKind extends never ? true : false = true;
void alertKindsComplete;

/** What a channel receives when it lists no `events`: failures, manual work, expiry, poison, pause. */
export const DEFAULT_CHANNEL_EVENTS: AlertKind[] = [
  'run-failed',
  'propagation-failed',
  'invalid-value-reverted',
  'manual-action-required',
  'secret-expired',
  'poison-message',
  'rotation-paused',
];

export const DEFAULT_REMINDERS = [30, 14, 7, 3, 1];
export const MIN_VALIDITY_DAYS = 31;
export const VALIDITY_RULE = `must be at least ${MIN_VALIDITY_DAYS}: SecretNearExpiry fires 30 days before expiry; shorter validity would rotate in a loop`;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https everywhere; plain http only towards this machine (local receivers in tests and `npm start`). */
export function isAllowedUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

const URL_RULE = 'must be an https:// URL (http:// is allowed only for localhost)';

const validityDaysSchema = z
  .number()
  .int({ error: 'must be a whole number of days' })
  .min(MIN_VALIDITY_DAYS, { error: VALIDITY_RULE })
  .max(3650, { error: 'must be at most 3650 days' });
const minIntervalHoursSchema = z
  .number()
  .min(0, { error: 'must be 0 or more hours' })
  .max(24 * 365, { error: 'must be at most 8760 hours' });
const graceDaysSchema = z
  .number()
  .int({ error: 'must be a whole number of days' })
  .min(0, { error: 'must be 0 or more days' })
  .max(365, { error: 'must be at most 365 days' });

export const secretRefSchema = z
  .strictObject({
    secretRef: secretNameSchema.describe('Name of the Key Vault secret holding the value.'),
    vault: vaultNameSchema
      .optional()
      .describe('Vault holding that secret; required only when several vaults are configured.'),
  })
  .describe('Reads the value from a Key Vault secret at run time instead of keeping it in this file.');

const SETTING_VALUE_RULE = 'must be a string or { "secretRef": "<secret name>" }';

/** A setting given inline or read from Key Vault (`SettingValue` in `rotation/model.ts`). */
export const settingValueSchema = z.union(
  [z.string().min(1, { error: 'must not be empty' }), secretRefSchema],
  {
    error: SETTING_VALUE_RULE,
  },
);

/** A URL setting: inline (checked to be https) or a Key Vault reference (Teams/Slack URLs embed a token). */
export const urlSettingSchema = z.union(
  [z.string().refine(isAllowedUrl, { error: URL_RULE }), secretRefSchema],
  {
    error: SETTING_VALUE_RULE,
  },
);

export const vaultSchema = z
  .strictObject({
    name: vaultNameSchema,
    url: z
      .string()
      .refine(isVaultUrl, {
        error: 'must be the vault origin, e.g. https://my-vault.vault.azure.net/ (no path)',
      })
      .optional()
      .describe(
        'Vault URL. Required against real Azure; locally `npm start` fills it from .local/endpoints.json.',
      ),
  })
  .describe('A Key Vault whose secrets the rotator manages.');

/** SecretClient rejects vault URLs with a path: each vault is its own origin. */
export function isVaultUrl(value: string): boolean {
  if (!isAllowedUrl(value)) return false;
  const url = new URL(value);
  return url.pathname === '/' && url.search === '' && url.hash === '';
}

export const defaultsSchema = z
  .strictObject({
    validityDays: validityDaysSchema
      .default(90)
      .describe('Days a new credential version is valid (its Key Vault expiry). At least 31.'),
    minIntervalHours: minIntervalHoursSchema
      .default(24)
      .describe('A normal rotation of a group waits this long after its previous run (consumers reload).'),
    graceDays: graceDaysSchema
      .default(7)
      .describe('Days the previous credential stays usable after a rotation before policy revokes it.'),
  })
  .describe('Policy applied to every secret that does not override it.');

const alertKindSchema = z.enum(ALERT_KINDS);
const channelCommon = {
  events: z
    .array(alertKindSchema)
    .min(1, { error: 'must list at least one event (omit it for the default set)' })
    .default(DEFAULT_CHANNEL_EVENTS)
    .describe('Alert kinds this channel receives. Default: failures, manual actions, expiry, poison, pause.'),
  digest: z.boolean().optional().describe('Also send the daily digest to this channel.'),
};

export const channelSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('teams'), url: urlSettingSchema, ...channelCommon }),
    z.strictObject({ type: z.literal('slack'), url: urlSettingSchema, ...channelCommon }),
    z.strictObject({
      type: z.literal('webhook'),
      url: urlSettingSchema,
      signingKey: settingValueSchema.describe('HMAC key signing each alert body; usually a secretRef.'),
      ...channelCommon,
    }),
    z.strictObject({
      type: z.literal('eventgrid'),
      endpoint: urlSettingSchema,
      accessKey: settingValueSchema,
      ...channelCommon,
    }),
  ])
  .describe('Where alerts go. Webhook URLs embed tokens: prefer { "secretRef": … }.');

const SITE_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Web\/sites\/[^/]+(\/slots\/[^/]+)?\/?$/i;

export const consumerSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('app-service'),
      resourceId: z
        .string()
        .refine((v) => SITE_ID.test(v), {
          error:
            'must be the ARM id of a site: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Web/sites/<name>[/slots/<slot>]',
        })
        .describe('ARM id of the App Service / Functions site that reads the secret.'),
      slot: z
        .string()
        .regex(/^[a-zA-Z0-9-]{1,59}$/, { error: 'must be a deployment slot name' })
        .optional()
        .describe('Deployment slot to restart instead of production.'),
      softRestart: z
        .boolean()
        .default(true)
        .describe('Soft restart (recycle workers) instead of a full one.'),
      healthUrl: z
        .string()
        .refine(isAllowedUrl, { error: URL_RULE })
        .optional()
        .describe('Polled after the restart until it answers 2xx.'),
      healthTimeoutSeconds: z
        .number()
        .int()
        .min(1, { error: 'must be at least 1 second' })
        .max(600, { error: 'must be at most 600 seconds' })
        .optional(),
    }),
    z.strictObject({
      type: z.literal('webhook'),
      url: urlSettingSchema,
      signingKey: settingValueSchema.describe('HMAC key signing the notification; usually a secretRef.'),
    }),
    z.strictObject({
      type: z.literal('eventgrid'),
      endpoint: urlSettingSchema,
      accessKey: settingValueSchema,
    }),
    z.strictObject({ type: z.literal('teams'), url: urlSettingSchema }),
    z.strictObject({ type: z.literal('slack'), url: urlSettingSchema }),
  ])
  .describe('A service that must pick up a new credential: restarted or notified after promotion.');

const refNameSchema = z.string().regex(REF_NAME_PATTERN, { error: REF_NAME_RULE });

export const secretSchema = z
  .strictObject({
    vault: vaultNameSchema
      .optional()
      .describe('Vault holding the secret; required when several vaults exist.'),
    provider: z.enum(PROVIDER_KINDS).describe('Who issues the credential.'),
    group: z
      .string()
      .regex(GROUP_NAME_PATTERN, { error: GROUP_NAME_RULE })
      .optional()
      .describe(
        'Credential group. Secrets of one provider resource (same provider and settings.resourceId) group by ' +
          'themselves; name a group for credentials without a resource id, e.g. a Razorpay key id + secret.',
      ),
    settings: z
      .record(z.string(), z.unknown())
      .default({})
      .describe(
        "Provider settings, checked by the provider's own schema. Omit service endpoints: providers use the " +
          "real service's endpoint, and `npm start` points them at the local emulator from .local/endpoints.json.",
      ),
    validityDays: validityDaysSchema.optional(),
    minIntervalHours: minIntervalHoursSchema.optional(),
    graceDays: graceDaysSchema.optional(),
    consumers: z.array(refNameSchema).optional().describe('Names of `consumers` restarted or notified.'),
    channels: z
      .array(refNameSchema)
      .optional()
      .describe('Names of `channels` alerted about this secret. Default: every channel.'),
    owners: z
      .array(z.email({ error: 'must be an email address' }))
      .optional()
      .describe('People accountable for the credential (named in alerts and reports).'),
    part: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9]{0,31}$/, { error: 'must be a part name like "keyId"' })
      .optional()
      .describe('For multi-part credentials: which part this secret holds (Razorpay: keyId, keySecret).'),
  })
  .describe('A managed secret, keyed by its Key Vault name.');

export const remindersSchema = z
  .array(
    z
      .number()
      .int({ error: 'must be a whole number of days' })
      .min(1, { error: 'must be at least 1 day' })
      .max(365, { error: 'must be at most 365 days' }),
  )
  .default(DEFAULT_REMINDERS)
  .describe('Days before expiry at which the sweep reminds owners of manual credentials.');

export const rotationConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of rotation.schema.json, for editors.'),
    vaults: z.array(vaultSchema).min(1, { error: 'must list at least one vault' }),
    defaults: defaultsSchema.default({ validityDays: 90, minIntervalHours: 24, graceDays: 7 }),
    channels: z.record(z.string().regex(REF_NAME_PATTERN), channelSchema).default({}),
    consumers: z.record(z.string().regex(REF_NAME_PATTERN), consumerSchema).default({}),
    secrets: z.record(secretNameSchema, secretSchema).default({}),
    reminders: remindersSchema,
  })
  .describe('Key Vault Rotator configuration (rotation.json).');

export type RotationConfigInput = z.input<typeof rotationConfigSchema>;
export type ChannelConfig = z.output<typeof channelSchema>;
export type ConsumerConfig = z.output<typeof consumerSchema>;
export type SecretEntry = z.output<typeof secretSchema>;
export type ConfigDefaults = z.output<typeof defaultsSchema>;
export type SecretRef = z.output<typeof secretRefSchema>;
