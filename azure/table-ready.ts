/**
 * A table client whose table is created on first use: once per adapter instance, and tried again on the next
 * call after a failure (so a storage outage at start-up does not poison the adapter for its lifetime).
 */
import type { TableClient } from '@azure/data-tables';
import { wrapAzureError } from './errors.js';

export function tableOnFirstUse(build: () => Promise<TableClient>, name: string): () => Promise<TableClient> {
  let ready: Promise<TableClient> | undefined;
  return () => {
    ready ??= (async () => {
      const client = await build();
      try {
        await client.createTable();
      } catch (error) {
        throw wrapAzureError(error, { action: `create table ${name}` });
      }
      return client;
    })().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
}
