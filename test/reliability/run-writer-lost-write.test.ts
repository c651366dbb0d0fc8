/**
 * RunWriter after a journal write whose outcome is unknown (the table took it, the answer never came):
 * the next write meets our own record as a conflict. Found by the fault matrix (journal write × timeout ×
 * persistent): `fail()` could not record the failure and the run was dropped as "executed by another
 * worker", left `running` with nobody driving it. Now the writer adopts its own landed write and goes on;
 * a real change by someone else is still a conflict.
 */
import { describe, expect, it } from 'vitest';
import { enterPhase, RunWriter } from '../../rotation/engine/records.js';
import { RotationError } from '../../rotation/errors.js';
import { FakeJournal } from '../../rotation/fakes/journal.js';
import { fakeRunRecord } from '../../rotation/fakes/world.js';
import type { CredentialGroup, Journal, RunRecord } from '../../rotation/ports.js';

const group: CredentialGroup = {
  vault: 'kv',
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
const clock = { now: () => new Date(), sleep: async () => {} };

/** A journal whose next replace lands (or not) and then fails without telling. */
class LossyJournal implements Journal {
  loseNext: 'after-write' | 'before-write' | undefined;
  constructor(readonly inner: FakeJournal) {}
  get = (id: string) => this.inner.get(id);
  create = (run: RunRecord) => this.inner.create(run);
  list = (filter: Parameters<Journal['list']>[0]) => this.inner.list(filter);
  latestForGroup = (vault: string, g: string) => this.inner.latestForGroup(vault, g);
  async replace(run: RunRecord, etag: string) {
    const lose = this.loseNext;
    this.loseNext = undefined;
    if (lose === 'before-write')
      throw new RotationError('AzureUnavailable', 'socket hang up', { transient: true });
    const result = await this.inner.replace(run, etag);
    if (lose === 'after-write')
      throw new RotationError('AzureUnavailable', 'socket hang up', { transient: true });
    return result;
  }
}

async function setup() {
  const inner = new FakeJournal();
  const journal = new LossyJournal(inner);
  const run = fakeRunRecord(group);
  const { etag } = await journal.create(run);
  return { inner, journal, writer: new RunWriter(journal, clock, { run, etag }) };
}

describe('RunWriter after a write with an unknown outcome', () => {
  it('adopts its own write that landed and applies the next change on top', async () => {
    const { inner, journal, writer } = await setup();
    journal.loseNext = 'after-write';
    await expect(writer.save((d) => enterPhase(d, 'claimed', new Date()))).rejects.toMatchObject({
      code: 'AzureUnavailable',
    });
    expect(writer.run.phase).toBe('queued');
    const saved = await writer.save((d) => {
      d.status = 'failed';
    });
    expect(saved.phases.map((p) => p.phase)).toEqual(['queued', 'claimed']);
    expect(inner.peek('run-1')).toMatchObject({ status: 'failed', phase: 'claimed' });
  });

  it('writes normally when the lost write never landed', async () => {
    const { inner, journal, writer } = await setup();
    journal.loseNext = 'before-write';
    await expect(writer.save((d) => enterPhase(d, 'claimed', new Date()))).rejects.toThrow();
    await writer.save((d) => enterPhase(d, 'claimed', new Date()));
    expect(inner.peek('run-1')!.phases.map((p) => p.phase)).toEqual(['queued', 'claimed']);
  });

  it('still reports a change by someone else as a conflict', async () => {
    const { inner, journal, writer } = await setup();
    journal.loseNext = 'after-write';
    await expect(writer.save((d) => enterPhase(d, 'claimed', new Date()))).rejects.toThrow();
    const row = (await inner.get('run-1'))!;
    await inner.replace({ ...row.run, attempt: 7 }, row.etag);
    await expect(writer.save((d) => enterPhase(d, 'issued', new Date()))).rejects.toMatchObject({
      code: 'RunInProgress',
    });
    expect(inner.peek('run-1')!.attempt).toBe(7);
  });
});
