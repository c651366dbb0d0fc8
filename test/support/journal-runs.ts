/** Run records and paging helpers for the journal adapter's tests (Azurite through the real Tables SDK). */
import type { RunRecord } from '../../rotation/ports.js';

/** A running run of group `openai` in vault `kv1`, with a random id; `overrides` replace any field. */
export function sampleRun(overrides: Partial<RunRecord> = {}): RunRecord {
  const createdAt = overrides.createdAt ?? '2026-01-10T10:00:00.000Z';
  return {
    id: `run-${Math.random().toString(36).slice(2, 10)}`,
    vault: 'kv1',
    group: 'openai',
    provider: 'azure-cognitive-services',
    secrets: ['openai-key', 'openai-key-copy'],
    triggerVersion: 'a1b2c3',
    attempt: 1,
    status: 'running',
    phase: 'claimed',
    phases: [{ phase: 'claimed', at: createdAt }],
    trigger: { kind: 'event', eventId: 'e1' },
    compromised: false,
    previousVersions: { 'openai-key': 'v0' },
    newVersions: {},
    consumers: [],
    revoked: [],
    pendingHuman: [],
    alerts: [],
    createdAt,
    updatedAt: createdAt,
    ...overrides,
  };
}

/** Every item of an async iterable (an SDK's paged listing), in order. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
