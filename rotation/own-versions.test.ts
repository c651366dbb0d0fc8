import { describe, expect, it } from 'vitest';
import { OwnVersions } from './own-versions.js';

const ROTATOR = { RotatedBy: 'key-vault-rotator', RotationId: 'run-1' };

describe('OwnVersions', () => {
  it("remembers only versions written with the rotator's tags, case-insensitively", () => {
    const own = new OwnVersions();
    own.recordWrite('KV', 'OpenAI-Key', 'ABC123', ROTATOR);
    own.recordWrite('kv', 'by-hand', 'def456', { team: 'ai' });
    own.recordWrite('kv', 'untagged', 'ghi789', undefined);
    expect(own.has('kv', 'openai-key', 'abc123')).toBe(true);
    expect(own.has('kv', 'openai-key', 'other')).toBe(false);
    expect(own.has('kv', 'by-hand', 'def456')).toBe(false);
    expect(own.has('kv', 'untagged', 'ghi789')).toBe(false);
  });

  it('forgets a write after ttlMs, and the oldest writes beyond max', () => {
    let now = 0;
    const own = new OwnVersions({ ttlMs: 1_000, max: 2, now: () => now });
    own.recordWrite('kv', 'a', 'v1', ROTATOR);
    now = 999;
    expect(own.has('kv', 'a', 'v1')).toBe(true);
    now = 1_000;
    expect(own.has('kv', 'a', 'v1')).toBe(false);
    own.recordWrite('kv', 'b', 'v1', ROTATOR);
    own.recordWrite('kv', 'c', 'v1', ROTATOR);
    own.recordWrite('kv', 'd', 'v1', ROTATOR);
    expect(['b', 'c', 'd'].map((name) => own.has('kv', name, 'v1'))).toEqual([false, true, true]);
  });
});
