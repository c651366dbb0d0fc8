/** Building run records and writing them to the journal with optimistic concurrency. */
import { isRotationError, RotationError } from '../errors.js';
import { type RunPhase, readTag, TAGS } from '../kinds.js';
import type {
  Clock,
  CredentialGroup,
  Journal,
  RunRecord,
  RunRequest,
  RunWhere,
  SecretVersion,
} from '../ports.js';
import { keyHint } from './tags.js';

export function newRunRecord(input: {
  id: string;
  group: CredentialGroup;
  triggerVersion: string;
  request: RunRequest;
  now: Date;
}): RunRecord {
  const at = input.now.toISOString();
  return {
    id: input.id,
    vault: input.group.vault,
    group: input.group.id,
    provider: input.group.provider,
    secrets: input.group.secrets.map((s) => s.name),
    triggerVersion: input.triggerVersion,
    attempt: 1,
    status: 'queued',
    phase: 'queued',
    phases: [{ phase: 'queued', at }],
    trigger: { ...input.request.trigger },
    compromised: input.request.compromised === true,
    previousVersions: {},
    newVersions: {},
    consumers: [],
    revoked: [],
    pendingHuman: [],
    alerts: [],
    createdAt: at,
    updatedAt: at,
  };
}

/** Where the runs of `group` live in the journal (`Journal.get`'s hint: one point read). */
export function whereOf(group: { vault: string; id: string }): RunWhere {
  return { vault: group.vault, group: group.id };
}

/** Moves a draft to `phase` and records when. */
export function enterPhase(draft: RunRecord, phase: RunPhase, at: Date): void {
  draft.phase = phase;
  draft.phases.push({ phase, at: at.toISOString() });
}

/**
 * What Key Vault served before the run (version ids, credential id, hint of the primary secret), noted
 * once: by the claim, or by the first write after a claim journaled ahead of the reads.
 */
export function notePrevious(
  d: RunRecord,
  currents: ReadonlyMap<string, SecretVersion | undefined>,
  primaryName: string,
): void {
  if (Object.keys(d.previousVersions).length > 0) return;
  for (const [name, current] of currents) if (current) d.previousVersions[name] = current.version;
  const primary = currents.get(primaryName);
  const previousCredentialId = primary ? readTag(primary.tags, TAGS.credentialId) : undefined;
  if (previousCredentialId) d.previousCredentialId = previousCredentialId;
  if (primary) d.previousKeyHint = keyHint(primary.value);
}

/** A change to a run record, applied to a draft of it (`RunWriter.save`, `RunWriter.preview`). */
export type RunChange = (draft: RunRecord) => void;

/** What a run writer needs of its lease (`LeaseKeeper`). */
export interface RunLease {
  /** Throws when the run must not write (lease lost or run out); called before every write. */
  assertHeld(): void;
  confirmAhead(): Promise<void>;
  confirmFresh(): Promise<void>;
}

/**
 * Holds the last journaled state of one run and its etag. `save` applies a change to a copy, writes it,
 * and only then adopts it: when a write fails, `run` still shows what the journal holds.
 *
 * A write that failed without an answer (timeout, reset) may still have landed; the next write then meets
 * a conflict with our own record. Before reporting such a conflict, `save` reads the row back: when it
 * holds exactly the write whose outcome was unknown, that write is adopted and the change applied on top.
 */
export class RunWriter {
  private current: RunRecord;
  private etag: string;
  /** The last draft whose write failed with an unknown outcome (not a conflict). */
  private unconfirmed: RunRecord | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly clock: Clock,
    row: { run: RunRecord; etag: string },
    /**
     * The lease the run acts under (`LeaseKeeper`), one argument so no caller can pass its check without
     * its confirmations: every write checks it first; a write of a run that goes on confirms it alongside
     * when the confirmation in hand would be stale by the next step, and `confirmHeld` takes that
     * confirmation while it is fresh. Absent only in tests of the writer alone.
     */
    private readonly lease?: RunLease,
  ) {
    this.current = row.run;
    this.etag = row.etag;
  }

  /** The journaled state (do not mutate: use `save`). */
  get run(): Readonly<RunRecord> {
    return this.current;
  }

  /** A deep copy callers may keep. */
  snapshot(): RunRecord {
    return structuredClone(this.current);
  }

  /** A deep copy with `change` applied, as `save(change)` would journal it (nothing is written). */
  preview(change: RunChange): RunRecord {
    const draft = structuredClone(this.current);
    change(draft);
    return draft;
  }

  /** Throws `LeaseLost` when another worker may own the run now (see `LeaseKeeper.confirmFresh`). */
  async confirmHeld(): Promise<void> {
    await this.lease?.confirmFresh();
  }

  /**
   * Journals a change. While the run goes on (queued or running), the lease is confirmed alongside the
   * write when needed (`LeaseKeeper.confirmAhead`), so the step that follows acts on a fresh confirmation
   * without a round trip of its own; a lost lease is reported (`LeaseLost`) even when the write landed.
   * `actsNext: false`: no step that acts on the outside world follows this write (only the run's last
   * journal write does), so nothing would use that confirmation and it is not taken.
   */
  async save(change: RunChange, options: { actsNext?: boolean } = {}): Promise<RunRecord> {
    this.lease?.assertHeld();
    const draft = this.preview(change);
    draft.updatedAt = this.clock.now().toISOString();
    const goesOn = draft.status === 'queued' || draft.status === 'running';
    const confirmAhead = goesOn && options.actsNext !== false;
    const [write, confirmation] = await Promise.allSettled([
      this.journal.replace(draft, this.etag),
      confirmAhead ? this.lease?.confirmAhead() : undefined,
    ]);
    if (write.status === 'fulfilled') {
      this.current = draft;
      this.etag = write.value.etag;
      this.unconfirmed = undefined;
    } else if (!isRotationError(write.reason, 'RunInProgress')) {
      // No answer (timeout, reset) or an error: the write may still have landed.
      this.unconfirmed = draft;
    }
    if (confirmation.status === 'rejected') throw confirmation.reason;
    if (write.status === 'fulfilled') return structuredClone(draft);
    if (!isRotationError(write.reason, 'RunInProgress')) throw write.reason;
    if (!(await this.adoptUnconfirmed())) throw write.reason;
    return this.save(change, options);
  }

  /** True when the journal holds the unconfirmed write (now adopted as the current state). */
  private async adoptUnconfirmed(): Promise<boolean> {
    const pending = this.unconfirmed;
    this.unconfirmed = undefined;
    if (!pending) return false;
    const row = await this.journal.get(pending.id, { vault: pending.vault, group: pending.group });
    if (!row || JSON.stringify(row.run) !== JSON.stringify(pending)) return false;
    this.current = row.run;
    this.etag = row.etag;
    return true;
  }
}

/**
 * Creates the journal row, or returns the one that exists (a duplicate or concurrent trigger).
 * `created` tells which.
 */
export async function createOrGet(
  journal: Journal,
  run: RunRecord,
  options: { checkedAbsent?: boolean } = {},
): Promise<{ run: RunRecord; etag: string; created: boolean }> {
  // `checkedAbsent`: the caller has just read the row and found none — create at once (one storage
  // call fewer per trigger); a row created meanwhile still surfaces as a conflict, handled below.
  const where = { vault: run.vault, group: run.group };
  const existing = options.checkedAbsent ? undefined : await journal.get(run.id, where);
  if (existing) return { ...existing, created: false };
  try {
    const { etag } = await journal.create(run);
    return { run: structuredClone(run), etag, created: true };
  } catch (error) {
    if (!(error instanceof RotationError && error.code === 'RunInProgress')) throw error;
    const raced = await journal.get(run.id, where);
    if (!raced) throw error;
    return { ...raced, created: false };
  }
}
