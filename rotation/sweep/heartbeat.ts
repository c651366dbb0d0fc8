/** An in-memory `HeartbeatStore` (tests, and a process without storage); Azure's is `azure/heartbeat.ts`. */
import type { HeartbeatStore, SweepHeartbeat } from '../ports.js';

export class MemoryHeartbeatStore implements HeartbeatStore {
  readonly beats: SweepHeartbeat[] = [];

  async record(beat: SweepHeartbeat): Promise<void> {
    this.beats.push(structuredClone(beat));
  }

  async latest(): Promise<SweepHeartbeat | undefined> {
    const sorted = [...this.beats].sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
    const last = sorted.at(-1);
    return last ? structuredClone(last) : undefined;
  }
}

/** Problems kept on a heartbeat row (the rest are counted, and logged by the sweep). */
export const MAX_HEARTBEAT_PROBLEMS = 50;
