/** zod schemas for resource declarations arriving through the control API (and checked in-process too). */
import { z } from 'zod';
import { COGNITIVE_KEY_PATTERN, COMMUNICATION_KEY_PATTERN } from './keys.js';
import { ARM_ACTIONS } from './types.js';

/** A path segment of an ARM id: non-empty, no slash, no control characters. */
const segment = z
  .string()
  .min(1)
  .max(90)
  .regex(/^[^/\\?#\s]+$/, 'must be a single path segment without spaces');

const base = {
  subscriptionId: segment.optional(),
  resourceGroup: segment,
  name: segment,
  location: z.string().min(1).optional(),
  forbidden: z.union([z.boolean(), z.array(z.enum(ARM_ACTIONS))]).optional(),
};

export const resourceDeclarationSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...base,
    type: z.literal('Microsoft.CognitiveServices/accounts'),
    kind: z.string().min(1).optional(),
    keys: z
      .strictObject({
        key1: z.string().regex(COGNITIVE_KEY_PATTERN, 'must be 32 hex characters').optional(),
        key2: z.string().regex(COGNITIVE_KEY_PATTERN, 'must be 32 hex characters').optional(),
      })
      .optional(),
  }),
  z.strictObject({
    ...base,
    type: z.literal('Microsoft.Communication/communicationServices'),
    dataLocation: z.string().min(1).optional(),
    keys: z
      .strictObject({
        primaryKey: z.string().regex(COMMUNICATION_KEY_PATTERN, 'must be base64 of 64 bytes').optional(),
        secondaryKey: z.string().regex(COMMUNICATION_KEY_PATTERN, 'must be base64 of 64 bytes').optional(),
      })
      .optional(),
  }),
  z.strictObject({
    ...base,
    type: z.literal('Microsoft.Web/sites'),
    slots: z.array(segment).optional(),
  }),
]);

export const forbidRequestSchema = z.strictObject({
  id: z.string().min(1),
  forbidden: z.union([z.boolean(), z.array(z.enum(ARM_ACTIONS))]).default(true),
});

/** `path: message` lines for a zod error, safe to return (zod messages do not echo input values). */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.') || '$', message: issue.message }));
}
