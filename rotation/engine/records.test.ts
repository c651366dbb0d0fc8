/**
 * RunWriter and the lease: a write of a run that goes on confirms the lease alongside when needed (no
 * round trip of its own); a lost lease is reported even when the write landed, and nothing more is written.
 */
import { describe, expect, it } from 'vitest';
import { RotationError } from '../errors.js';
import { FakeJournal } from '../fakes/journal.js';
import { fakeGroup, fakeRunRecord } from '../fakes/world.js';
import { enterPhase, type RunLease, RunWriter } from './records.js';

const clock = { now: () => new Date(), sleep: async () => {} };

async function setup(lease: Omit<RunLease, 'assertHeld'>) {
  const journal = new FakeJournal();
  const run = fakeRunRecord(fakeGroup({ id: 'openai' }));
  const { etag } = await journal.create(run);
  return {
    journal,
    writer: new RunWriter(journal, clock, { run, etag }, { assertHeld: () => {}, ...lease }),
  };
}

describe('RunWriter with a lease', () => {
  it('confirms the lease alongside each write of a run that goes on, not with the write that ends it', async () => {
    const confirmations: string[] = [];
    const { writer } = await setup({
      confirmAhead: async () => {
        confirmations.push('confirm');
      },
      confirmFresh: async () => {},
    });
    await writer.save((d) => {
      d.status = 'running';
      enterPhase(d, 'claimed', new Date());
    });
    expect(confirmations).toEqual(['confirm']);
    await writer.save((d) => {
      d.status = 'done';
      enterPhase(d, 'done', new Date());
    });
    expect(confirmations).toEqual(['confirm']);
  });

  it('reports a lost lease even when the write landed, and keeps what the journal holds', async () => {
    const lost = new RotationError('LeaseLost', 'lease on kv/openai was lost', { transient: true });
    const { journal, writer } = await setup({
      confirmAhead: () => Promise.reject(lost),
      confirmFresh: () => Promise.reject(lost),
    });
    await expect(
      writer.save((d) => {
        d.status = 'running';
        enterPhase(d, 'claimed', new Date());
      }),
    ).rejects.toBe(lost);
    expect((await journal.get('run-1'))?.run.phase).toBe('claimed');
    expect(writer.run.phase).toBe('claimed');
    await expect(writer.confirmHeld()).rejects.toBe(lost);
  });
});
