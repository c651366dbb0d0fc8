import { describe, expect, it } from 'vitest';
import { behindCalls } from './behind-calls.js';

/** A call whose request is built through `jobs` promise jobs before it "leaves" (as an SDK pipeline's). */
async function call(jobs: number, events: string[]): Promise<void> {
  for (let i = 0; i < jobs; i++) await Promise.resolve();
  events.push('call leaves');
}

describe('behindCalls', () => {
  it('starts its work only once calls started before it have left, however many promise jobs they take', async () => {
    const events: string[] = [];
    const sent = call(50, events);
    const written = behindCalls(async () => {
      events.push('journal write starts');
      return 'etag';
    });
    await expect(written).resolves.toBe('etag');
    await sent;
    expect(events).toEqual(['call leaves', 'journal write starts']);
  });

  it('does so when started outside a promise job too (a timer or I/O callback)', async () => {
    const events: string[] = [];
    const written = await new Promise<Promise<string>>((resolve) =>
      setTimeout(() => {
        void call(50, events);
        resolve(
          behindCalls(async () => {
            events.push('journal write starts');
            return 'etag';
          }),
        );
      }, 0),
    );
    await written;
    expect(events).toEqual(['call leaves', 'journal write starts']);
  });

  it('passes a failure of its work through', async () => {
    await expect(behindCalls(() => Promise.reject(new Error('journal down')))).rejects.toThrow(
      'journal down',
    );
  });
});
