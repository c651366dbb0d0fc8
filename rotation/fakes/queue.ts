/** In-memory `rotation-runs` queue: messages become visible after their delay on the fake clock. */
import type { Clock, RunQueue, RunRequest } from '../ports.js';
import { FaultInjector } from './faults.js';

export interface QueuedMessage {
  request: RunRequest;
  visibleAt: Date;
}

export class FakeRunQueue implements RunQueue {
  readonly messages: QueuedMessage[] = [];
  /** Every request ever enqueued (also those already taken). */
  readonly sent: RunRequest[] = [];

  constructor(
    private readonly clock: Clock,
    readonly faults: FaultInjector = new FaultInjector(),
  ) {}

  async enqueue(request: RunRequest, options: { visibilityDelaySeconds?: number } = {}): Promise<void> {
    this.faults.hit('queue.enqueue', [request, options]);
    const copy = structuredClone(request);
    const visibleAt = new Date(this.clock.now().getTime() + (options.visibilityDelaySeconds ?? 0) * 1000);
    this.messages.push({ request: copy, visibleAt });
    this.sent.push(structuredClone(request));
  }

  /** Removes and returns every message visible now. */
  takeVisible(): RunRequest[] {
    const now = this.clock.now().getTime();
    const visible = this.messages.filter((m) => m.visibleAt.getTime() <= now);
    for (const m of visible) this.messages.splice(this.messages.indexOf(m), 1);
    return visible.map((m) => m.request);
  }
}
