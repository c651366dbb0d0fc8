/** In-memory run journal with optimistic concurrency (etags), like the `rotationruns` table. */
import { RotationError } from '../errors.js';
import type { HistoryFilter, Journal, RunRecord, RunWhere } from '../ports.js';
import { FaultInjector } from './faults.js';

export class FakeJournal implements Journal {
  private readonly rows = new Map<string, { run: RunRecord; etag: string }>();
  private counter = 0;
  /** Every successful write, in order (for tests that read the history of a run). */
  readonly writes: RunRecord[] = [];

  constructor(readonly faults: FaultInjector = new FaultInjector()) {}

  async get(id: string, where?: RunWhere): Promise<{ run: RunRecord; etag: string } | undefined> {
    this.faults.hit('journal.get', [id]);
    const row = this.rows.get(id);
    // As the table: a hint names the partition read, so a run elsewhere is not found.
    if (row && where && !sameGroup(row.run, where)) return undefined;
    return row ? { run: structuredClone(row.run), etag: row.etag } : undefined;
  }

  async create(run: RunRecord): Promise<{ etag: string }> {
    this.faults.hit('journal.create', [run]);
    if (this.rows.has(run.id)) {
      throw new RotationError('RunInProgress', `run ${run.id} already exists`, { transient: true });
    }
    return this.store(run);
  }

  async replace(run: RunRecord, etag: string): Promise<{ etag: string }> {
    this.faults.hit('journal.replace', [run, etag]);
    const row = this.rows.get(run.id);
    if (!row || row.etag !== etag) {
      throw new RotationError('RunInProgress', `run ${run.id} was changed by someone else`, {
        transient: true,
      });
    }
    return this.store(run);
  }

  async *list(filter: HistoryFilter): AsyncIterable<RunRecord> {
    this.faults.hit('journal.list', [filter]);
    const matches = [...this.rows.values()]
      .map((r) => r.run)
      .filter((run) => matchesFilter(run, filter))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const run of matches) yield structuredClone(run);
  }

  async latestForGroup(vault: string, group: string): Promise<RunRecord | undefined> {
    this.faults.hit('journal.latestForGroup', [vault, group]);
    const runs = [...this.rows.values()]
      .map((r) => r.run)
      .filter((run) => run.vault === vault.toLowerCase() && run.group === group.toLowerCase())
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const latest = runs.at(-1);
    return latest ? structuredClone(latest) : undefined;
  }

  // ------------------------------------------------------------------ test helpers (no fault hooks)

  peek(id: string): RunRecord | undefined {
    const row = this.rows.get(id);
    return row ? structuredClone(row.run) : undefined;
  }

  all(): RunRecord[] {
    return [...this.rows.values()].map((r) => structuredClone(r.run));
  }

  private store(run: RunRecord): { etag: string } {
    const etag = `W/"${++this.counter}"`;
    const saved = structuredClone(run);
    this.rows.set(run.id, { run: saved, etag });
    this.writes.push(structuredClone(run));
    return { etag };
  }
}

function matchesFilter(run: RunRecord, filter: HistoryFilter): boolean {
  if (filter.vault && run.vault !== filter.vault.toLowerCase()) return false;
  if (filter.group && run.group !== filter.group.toLowerCase()) return false;
  if (filter.secret && !run.secrets.some((s) => s.toLowerCase() === filter.secret!.toLowerCase()))
    return false;
  if (filter.status && run.status !== filter.status) return false;
  if (filter.since && run.createdAt < filter.since.toISOString()) return false;
  if (filter.until && run.createdAt > filter.until.toISOString()) return false;
  return true;
}

function sameGroup(run: RunRecord, where: RunWhere): boolean {
  return (
    run.vault.toLowerCase() === where.vault.toLowerCase() &&
    run.group.toLowerCase() === where.group.toLowerCase()
  );
}
