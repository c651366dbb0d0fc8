/**
 * Settings of `mongodb`: a MongoDB connection string with a password (Atlas database user).
 *
 * `liveCheck` (default true) connects and runs an authenticated `ping` with the official driver before a
 * new string is promoted. It needs network access from the Function App to the cluster: add the Function
 * App's outbound IPs (or its VNet/private endpoint) to the Atlas IP Access List. With `liveCheck: false`
 * only the string's shape is checked — use that only where the rotator cannot reach the cluster.
 */
import { z } from 'zod';

export const MONGODB_ATLAS_URL = 'https://cloud.mongodb.com/';

export const mongoDbSettingsSchema = z.strictObject({
  liveCheck: z
    .boolean()
    .default(true)
    .describe(
      'Connect and ping with the new string before promoting it (needs network access to the cluster)',
    ),
  serverSelectionTimeoutMS: z
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(10_000)
    .describe('How long the driver looks for a reachable server, in milliseconds (default 10000)'),
});

export type MongoDbSettings = z.infer<typeof mongoDbSettingsSchema>;
