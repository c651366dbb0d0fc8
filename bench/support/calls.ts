/**
 * Every outbound call the rotator makes during a benchmark, in one list: the emulator's request log (Key
 * Vault, ARM, provider data planes, Event Grid topics), the rotator's storage calls (journal, leases, queue; `storage-recorder.ts`) and the
 * webhook receiver (consumers). Each call gets a `kind` and an operation `label` ("kv read", "arm
 * regenerateKey", "journal write"…) so a scenario can count calls per operation between two marks.
 */
import type { RequestLogEntry } from '../../local/emulator/index.js';
import type { StorageCall } from './storage-recorder.js';

/** Milliseconds on a clock both benchmark processes share (epoch, sub-millisecond). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export type CallKind = 'keyvault' | 'arm' | 'data' | 'storage' | 'consumer';

export interface Call {
  kind: CallKind;
  label: string;
  method: string;
  path: string;
  status: number | null;
  startMs: number;
  endMs: number;
}

/** Key Vault operation of a vault request (the 401 challenge counted apart). */
function keyVaultLabel(entry: RequestLogEntry): string {
  if (entry.status === 401) return 'kv auth challenge';
  const path = entry.path.split('?')[0]!.replace(/\/+$/, '');
  const segments = path.split('/').filter(Boolean);
  if (segments[0] === 'secrets') {
    if (segments.length === 1) return 'kv list secrets (page)';
    if (segments[2] === 'versions') return 'kv list versions (page)';
    // Only the SecretNewVersionCreated handler reads a version by id in these flows.
    if (entry.method === 'GET') return segments.length > 2 ? 'kv read version' : 'kv read';
    if (entry.method === 'PUT') return 'kv write';
    if (entry.method === 'PATCH') return 'kv update';
  }
  return `kv ${entry.method} ${segments[0] ?? ''}`;
}

function armLabel(entry: RequestLogEntry): string {
  const path = entry.path.split('?')[0]!;
  const last = path.split('/').filter(Boolean).at(-1) ?? '';
  if (['listKeys', 'regenerateKey', 'restart'].includes(last)) return `arm ${last}`;
  return `arm ${entry.method} ${/\/providers\/([^/]+\/[^/]+)/.exec(path)?.[1] ?? 'resource'}`;
}

function dataLabel(entry: RequestLogEntry): string {
  const path = entry.path.split('?')[0]!;
  if (/^\/cs\/[^/]+\/(openai\/models|sts\/v1\.0\/issueToken)$/i.test(path))
    return 'data validate (cognitive)';
  if (path.startsWith('/acs/')) return 'data validate (communication)';
  if (/^\/(together|groq|deepseek|qwen|razorpay)\//.test(path)) return 'data validate (manual provider)';
  if (path.startsWith('/topics/')) return 'data eventgrid publish';
  if (path.startsWith('/sites/')) return 'data site health';
  return `data ${entry.method} ${path.split('/').filter(Boolean).slice(0, 1).join('/')}`;
}

export function fromEmulator(entry: RequestLogEntry): Call {
  const kind: CallKind = entry.server === 'vault' ? 'keyvault' : entry.origin === 'arm' ? 'arm' : 'data';
  const label =
    kind === 'keyvault' ? keyVaultLabel(entry) : kind === 'arm' ? armLabel(entry) : dataLabel(entry);
  return {
    kind,
    label,
    method: entry.method,
    path: entry.path,
    status: entry.status,
    // The request log uses this process's performance.now(): move it to the shared clock.
    startMs: performance.timeOrigin + entry.startMs,
    endMs: performance.timeOrigin + entry.endMs,
  };
}

function storageLabel(call: StorageCall): string {
  const segments = call.path.split('/').filter(Boolean);
  if (call.service === 'table') {
    const table = segments[0] ?? '';
    if (table === 'Tables') return 'table create';
    const name = table.replace(/\(.*$/, '');
    const what = name === 'rotationruns' ? 'journal' : name;
    if (call.method === 'GET') return table.includes("PartitionKey='") ? `${what} read` : `${what} query`;
    if (call.method === 'POST') return `${what} insert`;
    return `${what} write`;
  }
  if (call.service === 'blob') {
    if (call.op.includes('comp=lease')) return `lease ${call.op.split('action=')[1] ?? ''}`.trim();
    if (call.op.includes('restype=container')) return 'blob container';
    return `blob ${call.method}`;
  }
  if (segments.length <= 1) return 'queue create';
  if (call.method === 'POST') return `queue send (${segments[0]})`;
  if (call.method === 'GET') return 'queue receive';
  if (call.method === 'DELETE') return 'queue delete';
  return 'queue update';
}

export function fromStorage(call: StorageCall): Call {
  return {
    kind: 'storage',
    label: storageLabel(call),
    method: call.method,
    path: `${call.service}:${call.path}`,
    status: call.status,
    startMs: call.startMs,
    endMs: call.endMs,
  };
}

export class CallLog {
  readonly calls: Call[] = [];
  /** Stop recording beyond this many calls (a 10,000-secret seed must not fill memory). */
  enabled = true;

  add(call: Call): void {
    if (this.enabled) this.calls.push(call);
  }

  mark(): number {
    return this.calls.length;
  }

  since(mark: number, until = this.calls.length): Call[] {
    return this.calls.slice(mark, until);
  }

  clear(): void {
    this.calls.length = 0;
  }
}

/** Calls counted by label, sorted by kind then label. */
export function countByLabel(calls: readonly Call[]): Map<string, { kind: CallKind; count: number }> {
  const counts = new Map<string, { kind: CallKind; count: number }>();
  for (const call of calls) {
    const entry = counts.get(call.label) ?? { kind: call.kind, count: 0 };
    entry.count += 1;
    counts.set(call.label, entry);
  }
  return new Map([...counts].sort((a, b) => a[1].kind.localeCompare(b[1].kind) || a[0].localeCompare(b[0])));
}

export function countKind(calls: readonly Call[], kind: CallKind): number {
  return calls.filter((c) => c.kind === kind).length;
}

/** Largest number of intervals open at once. */
export function peakOverlap(intervals: readonly { start: number; end: number }[]): number {
  const points = intervals.flatMap((i) => [
    { at: i.start, delta: 1 },
    { at: i.end, delta: -1 },
  ]);
  points.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let peak = 0;
  for (const p of points) {
    open += p.delta;
    peak = Math.max(peak, open);
  }
  return peak;
}
