/**
 * A table client whose table is created on first use: once per adapter instance, and tried again on the next
 * call after a failure (so a storage outage at start-up does not poison the adapter for its lifetime).
 */
import type { TableClient } from '@azure/data-tables';
import { wrapAzureError } from './errors.js';

export function tableOnFirstUse(
  build: () => Promise<TableClient>,
  name: string,
  /** Runs once when this call created the table (it did not exist): set-up only a new table needs. */
  onCreated?: (client: TableClient) => Promise<void>,
): () => Promise<TableClient> {
  let ready: Promise<TableClient> | undefined;
  return () => {
    ready ??= (async () => {
      const client = await build();
      let status: number | undefined;
      try {
        // The SDK answers an existing table (409) as success: the raw status tells the two apart.
        await client.createTable({
          onResponse: (response) => {
            status = response.status;
          },
        });
        if (onCreated && status !== undefined && status >= 200 && status < 300) await onCreated(client);
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
