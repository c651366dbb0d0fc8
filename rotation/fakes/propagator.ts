/** Records propagation calls; consumers succeed unless a test says which ones fail. */
import type { Clock, ConsumerOutcome, CredentialGroup, Propagator, RunRecord } from '../ports.js';
import { FaultInjector } from './faults.js';

export class FakePropagator implements Propagator {
  readonly calls: { runId: string; group: string; consumers: string[] }[] = [];
  /** Consumer names that report `failed`. */
  readonly failing = new Set<string>();

  constructor(
    private readonly clock: Clock,
    readonly faults: FaultInjector = new FaultInjector(),
  ) {}

  async propagate(run: RunRecord, group: CredentialGroup): Promise<ConsumerOutcome[]> {
    this.faults.hit('propagator.propagate', [run, group]);
    this.calls.push({ runId: run.id, group: group.id, consumers: [...group.consumers] });
    const at = this.clock.now().toISOString();
    return group.consumers.map((name) =>
      this.failing.has(name)
        ? { name, status: 'failed', detail: 'restart did not become healthy', at, attempts: 3 }
        : { name, status: 'ok', at, attempts: 1 },
    );
  }
}
