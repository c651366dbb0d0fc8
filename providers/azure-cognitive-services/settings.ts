/** Settings of `azure-cognitive-services` (Azure OpenAI, Speech and other Cognitive Services accounts). */
import { z } from 'zod';
import { armIdSchema } from '../shared/arm-id.js';

export const COGNITIVE_SERVICES_TYPE = 'Microsoft.CognitiveServices/accounts';

/** Default `api-version` of the Azure OpenAI models call used for validation (GA). */
export const DEFAULT_OPENAI_API_VERSION = '2024-10-21';

export const cognitiveServicesSettingsSchema = z.strictObject({
  /** ARM id of the account whose key1/key2 the group holds. */
  resourceId: armIdSchema(COGNITIVE_SERVICES_TYPE),
  /** Data-plane endpoint; read from the account's ARM `properties.endpoint` when absent. */
  endpoint: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe("Data-plane endpoint (default: the account's properties.endpoint)"),
  /** `OpenAI`, `SpeechServices`, `AIServices`, …; read from the account's ARM `kind` when absent. */
  kind: z.string().min(1).optional().describe("Account kind (default: the account's ARM kind)"),
  validation: z
    .strictObject({
      /** `api-version` of the Azure OpenAI models call. */
      apiVersion: z.string().min(1).optional(),
    })
    .optional(),
});

export type CognitiveServicesSettings = z.infer<typeof cognitiveServicesSettingsSchema>;
