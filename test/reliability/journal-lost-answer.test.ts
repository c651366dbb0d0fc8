/**
 * A journal write whose answer is lost (Azurite processed it, the connection dropped, the SDK retried with
 * the old etag and met 412) is recognised as our own write, not reported as another worker's change —
 * else the run is stranded `running` and its queue message dropped as a duplicate (found by the fault
 * matrix: journal-write × timeout × once). A real conflicting change still raises `RunInProgress`.
 */
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableJournal } from '../../azure/journal.js';
import { type RunningAzurite, startAzurite } from '../../local/azurite.js';
import { type RunningFaultProxy, startFaultProxy } from '../../local/fault-proxy/index.js';
import { newRunRecord } from '../../rotation/engine/records.js';
import type { CredentialGroup, RunRecord } from '../../rotation/ports.js';

let azurite: RunningAzurite;
let proxy: RunningFaultProxy;
let journal: TableJournal;
let other: TableJournal;

const journalOver = (connectionString: string) =>
  new TableJournal(async () =>
    TableClient.fromConnectionString(connectionString, 'rotationruns', {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 2, retryDelayInMs: 5, maxRetryDelayInMs: 20 },
    }),
  );

const group: CredentialGroup = {
  vault: 'kv-journal',
  id: 'openai',
  provider: 'azure-cognitive-services',
  settings: {},
  secrets: [],
  validityDays: 90,
  minIntervalHours: 24,
  consumers: [],
  channels: [],
  owners: [],
};

function record(id: string): RunRecord {
  return newRunRecord({
    id,
    group,
    triggerVersion: 'a'.repeat(32),
    request: {
      vault: group.vault,
      secret: 'openai',
      trigger: { kind: 'event' },
      requestedAt: new Date().toISOString(),
    },
    now: new Date(),
  });
}

beforeAll(async () => {
  azurite = await startAzurite();
  proxy = await startFaultProxy(azurite);
  journal = journalOver(proxy.connectionString);
  other = journalOver(azurite.connectionString);
});

afterAll(async () => {
  await proxy?.stop();
  await azurite?.stop();
});

describe('journal replace when the answer is lost', () => {
  it.each([
    ['no answer', { kind: 'timeout', ms: 100, after: true }],
    ['reset', { kind: 'reset', after: true }],
  ] as const)('%s after the write landed: the retry succeeds with the new etag', async (_name, fault) => {
    const run = record(`lost-${fault.kind}`);
    const { etag } = await journal.create(run);
    proxy.addFault({ service: 'table', method: 'PUT', fault, times: 1 });
    const claimed = { ...run, status: 'running' as const, phase: 'claimed' as const };
    const written = await journal.replace(claimed, etag);
    expect(proxy.requests().filter((r) => r.fault !== undefined)).toHaveLength(1);
    const stored = await other.get(run.id);
    expect(stored).toEqual({ run: claimed, etag: written.etag });
    // The etag it returned is the live one: the next write goes through.
    await journal.replace({ ...claimed, phase: 'issued' }, written.etag);
    proxy.clearRequests();
  });

  it('a change by someone else is still a conflict', async () => {
    const run = record('conflict');
    const { etag } = await journal.create(run);
    await other.replace({ ...run, attempt: 2 }, etag);
    await expect(journal.replace({ ...run, status: 'running' }, etag)).rejects.toMatchObject({
      code: 'RunInProgress',
    });
  });
});
