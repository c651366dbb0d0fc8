/** Building run records and writing them to the journal with optimistic concurrency. */
import { RotationError } from '../errors.js';
import type { RunPhase } from '../kinds.js';
import type { Clock, CredentialGroup, Journal, RunRecord, RunRequest } from '../ports.js';

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

/** Moves a draft to `phase` and records when. */
export function enterPhase(draft: RunRecord, phase: RunPhase, at: Date): void {
  draft.phase = phase;
  draft.phases.push({ phase, at: at.toISOString() });
}

/**
 * Holds the last journaled state of one run and its etag. `save` applies a change to a copy, writes it,
 * and only then adopts it: when a write fails, `run` still shows what the journal holds.
 */
export class RunWriter {
  private current: RunRecord;
  private etag: string;

  constructor(
    private readonly journal: Journal,
    private readonly clock: Clock,
    row: { run: RunRecord; etag: string },
    /** Called before every write; throws when the run must not write (lease lost). */
    private readonly guard: () => void = () => {},
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

  async save(change: (draft: RunRecord) => void): Promise<RunRecord> {
    this.guard();
    const draft = structuredClone(this.current);
    change(draft);
    draft.updatedAt = this.clock.now().toISOString();
    const { etag } = await this.journal.replace(draft, this.etag);
    this.current = draft;
    this.etag = etag;
    return structuredClone(draft);
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
  const existing = options.checkedAbsent ? undefined : await journal.get(run.id);
  if (existing) return { ...existing, created: false };
  try {
    const { etag } = await journal.create(run);
    return { run: structuredClone(run), etag, created: true };
  } catch (error) {
    if (!(error instanceof RotationError && error.code === 'RunInProgress')) throw error;
    const raced = await journal.get(run.id);
    if (!raced) throw error;
    return { ...raced, created: false };
  }
}
