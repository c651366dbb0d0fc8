/** Settings of `azure-communication` (Azure Communication Services access keys). */
import { z } from 'zod';
import { armIdSchema } from '../shared/arm-id.js';

export const COMMUNICATION_TYPE = 'Microsoft.Communication/communicationServices';

export const communicationSettingsSchema = z.strictObject({
  /** ARM id of the Communication Services resource whose Primary/Secondary keys the group holds. */
  resourceId: armIdSchema(COMMUNICATION_TYPE),
  /** Data-plane endpoint; taken from the connection string or the resource's ARM `hostName` when absent. */
  endpoint: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe("Data-plane endpoint (default: the connection string's endpoint or the resource's hostName)"),
  /** What the secrets store: the bare access key or the connection string (`endpoint=…;accesskey=…`). */
  holds: z
    .enum(['key', 'connectionString'])
    .default('connectionString')
    .describe('What the secrets hold: the access key or the connection string'),
});

export type CommunicationSettings = z.infer<typeof communicationSettingsSchema>;
