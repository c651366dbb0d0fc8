/**
 * The storage DESIGN.md puts around a rotation, made by hand for the fenced floor (`floor.ts`, issue 11
 * item 2): the least any rotator that follows DESIGN pays on this machine, with no engine logic at all.
 *
 * - before: the group's lease ("a blob lease per credential group");
 * - one journal write per phase ("each phase change is written to the journal"), each on the etag of the
 *   last (optimistic concurrency), made where the engine makes it: alongside a call when it fences
 *   nothing, on the path when it does;
 * - after: the final write (propagated + done), then the lease let go.
 *
 * Nothing is read back, nothing is checked and no lease is renewed or confirmed, and there is no run slot
 * (the engine's way of holding ROTATION_CONCURRENCY across instances, a second lease taken alongside the
 * group's): what the engine costs on top of this is its own. The run's row is created before the clock
 * starts, as the trigger creates it before the worker's invocation.
 */
import { randomUUID } from 'node:crypto';
import { timingOf } from '../../rotation/engine/deps.js';
import { groupLeaseKey, NO_VERSION } from '../../rotation/engine/identity.js';
import { enterPhase, newRunRecord } from '../../rotation/engine/records.js';
import type { RunPhase } from '../../rotation/kinds.js';
import type { CredentialGroup, Lease, RunRecord } from '../../rotation/ports.js';
import type { BenchStack } from '../support/stack.js';

export interface FloorFences {
  /** Takes the group's lease. Throws if it is held. */
  take(): Promise<void>;
  /** Journals `phases` (in order) in one write, on the etag of the previous write. */
  write(...phases: RunPhase[]): Promise<void>;
  /** Lets the lease go (nothing when it is not held). */
  release(): Promise<void>;
}

/** A run row for `group` in the journal, and the fences around it. */
export async function prepareFences(stack: BenchStack, group: CredentialGroup): Promise<FloorFences> {
  const deps = stack.app.engine;
  const now = deps.clock.now();
  const run: RunRecord = newRunRecord({
    id: randomUUID(),
    group,
    triggerVersion: NO_VERSION,
    request: {
      vault: group.vault,
      secret: group.secrets[0]!.name,
      trigger: { kind: 'http' },
      requestedAt: now.toISOString(),
    },
    now,
  });
  let { etag } = await deps.journal.create(run);
  const leaseSeconds = timingOf(deps).leaseSeconds;
  let lease: Lease | undefined;
  return {
    async take() {
      const key = groupLeaseKey(group.vault, group.id);
      lease = await deps.locks.tryAcquire(key, leaseSeconds);
      if (!lease) throw new Error(`floor: the lease ${key} is held`);
    },
    async write(...phases) {
      const at = deps.clock.now();
      for (const phase of phases) enterPhase(run, phase, at);
      if (phases.includes('done')) {
        run.status = 'done';
        run.finishedAt = at.toISOString();
      }
      run.updatedAt = at.toISOString();
      ({ etag } = await deps.journal.replace(run, etag));
    },
    async release() {
      const held = lease;
      lease = undefined;
      await held?.release();
    },
  };
}
