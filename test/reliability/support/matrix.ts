/**
 * The fault matrix: every external call of a run × five faults × {once, persistent}. A call is named by
 * where its requests go — the emulator (Key Vault, ARM, the provider's data plane) or the storage fault
 * proxy (journal table, lease blobs, run queue) — and every rule is scoped to the cell's own credential
 * group, so the cells of one fault and mode run side by side. The run queue is shared by all groups: its
 * cells run alone.
 */
import type { FaultRuleInput } from '../../../local/emulator/index.js';
import type { ProxyFault, ProxyFaultInput } from '../../../local/fault-proxy/index.js';
import { VAULT } from './stack.js';

export const CALLS = [
  'kv-get',
  'kv-set',
  'kv-update',
  'arm-regenerate',
  'validation',
  'consumer-restart',
  'journal-write',
  'lease-renew',
  'queue',
] as const;
export type Call = (typeof CALLS)[number];

export const FAULTS = ['429', '500', '503', 'timeout', 'reset'] as const;
export type FaultName = (typeof FAULTS)[number];

export const MODES = ['once', 'persistent'] as const;
export type Mode = (typeof MODES)[number];

/** How long a held request waits before its connection is dropped ("timeout"). */
export const HOLD_MS = 300;

/** The resources and secrets one cell rotates: a Cognitive Services account with two secrets and a site. */
export interface CellGroup {
  call: Call;
  account: string;
  site: string;
  secrets: [string, string];
  /** Credential group id (lowercased), set once the config is loaded. */
  group: string;
}

export function cellGroup(call: Call): CellGroup {
  const base = `fm-${call}`;
  return {
    call,
    account: `oai-${base}`,
    site: `site-${base}`,
    secrets: [`${base}-a`, `${base}-b`],
    group: `${base}-a`,
  };
}

export type CellRule =
  | { target: 'emulator'; rule: FaultRuleInput }
  | { target: 'proxy'; rule: ProxyFaultInput };

/** The faults the emulator and the storage proxy inject alike. */
const SAME_EVERYWHERE = {
  '429': { kind: 'throttle', retryAfterSeconds: 1, retryAfterMs: 20 },
  '500': { kind: 'error', status: 500 },
  '503': { kind: 'error', status: 503 },
  reset: { kind: 'reset' },
} as const;

function emulatorFault(fault: FaultName): FaultRuleInput['fault'] {
  return fault === 'timeout' ? { kind: 'timeout', ms: HOLD_MS } : SAME_EVERYWHERE[fault];
}

/**
 * Storage faults: "timeout" lets Azurite process the request and loses the answer (the write happened,
 * the client cannot know), "reset" drops the connection before the request gets there.
 */
function proxyFault(fault: FaultName): ProxyFault {
  return fault === 'timeout' ? { kind: 'timeout', ms: HOLD_MS, after: true } : SAME_EVERYWHERE[fault];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function cellRule(cell: CellGroup, fault: FaultName, mode: Mode): CellRule {
  const times = mode === 'once' ? { times: 1 } : {};
  const secrets = `(${cell.secrets.map(escapeRegExp).join('|')})`;
  const emulator = (rule: Omit<FaultRuleInput, 'fault'>): CellRule => ({
    target: 'emulator',
    rule: { ...rule, fault: emulatorFault(fault), ...times },
  });
  const proxy = (rule: Omit<ProxyFaultInput, 'fault'>): CellRule => ({
    target: 'proxy',
    rule: { ...rule, fault: proxyFault(fault), ...times },
  });
  switch (cell.call) {
    case 'kv-get':
      return emulator({ origin: VAULT, method: 'GET', pathRegex: `^/secrets/${secrets}(/.*)?$` });
    case 'kv-set':
      return emulator({ origin: VAULT, method: 'PUT', pathRegex: `^/secrets/${secrets}$` });
    case 'kv-update':
      return emulator({ origin: VAULT, method: 'PATCH', pathRegex: `^/secrets/${secrets}/` });
    case 'arm-regenerate':
      return emulator({
        origin: 'arm',
        method: 'POST',
        pathRegex: `/accounts/${escapeRegExp(cell.account)}/regenerateKey$`,
      });
    case 'validation':
      return emulator({ origin: 'data', pathRegex: `^/cs/${escapeRegExp(cell.account)}/` });
    case 'consumer-restart':
      return emulator({
        origin: 'arm',
        method: 'POST',
        pathRegex: `/sites/${escapeRegExp(cell.site)}/restart$`,
      });
    case 'journal-write':
      // Entity writes of this group's partition (`<vault>|<group>`, `|` as %7C in the path).
      return proxy({
        service: 'table',
        match: (r) => r.method !== 'GET' && r.path.toLowerCase().includes(`%7c${cell.group}'`),
      });
    case 'lease-renew':
      return proxy({
        service: 'blob',
        method: 'PUT',
        query: { comp: 'lease' },
        headers: { 'x-ms-lease-action': 'renew' },
        path: new RegExp(`/rotation-locks/${escapeRegExp(VAULT)}/${escapeRegExp(cell.group)}$`, 'i'),
      });
    case 'queue':
      // Message operations (receive, delete, visibility updates, put); creating the queue is not a run's call.
      return proxy({ service: 'queue', path: /^\/devstoreaccount1\/rotation-runs\/messages/ });
  }
}

/** What became of a cell's run. */
export type Outcome =
  /** Finished (revoked or done) while the fault was in place. */
  | 'completed'
  /** Could not progress while the fault lasted (the run queue was down), finished once it was back. */
  | 'completed-after-outage'
  /** Failed, alerting, leaving Key Vault on a working credential; finished on the retry. */
  | 'failed-with-alert'
  /** Neither finished nor alerted: the cell fails. */
  | 'stuck';

export interface CellResult {
  call: Call;
  fault: FaultName;
  mode: Mode;
  runId: string;
  outcome: Outcome;
  /** Status when the fault was lifted. */
  status: string;
  /** Requests the fault struck. */
  hits: number;
  alerts: number;
  /** Finished well after the fault was lifted (a retry or re-propagation where needed). */
  recovered: boolean;
  violations: number;
  ms: number;
}

export function formatMatrix(results: CellResult[]): string {
  const header = ['call', ...FAULTS.flatMap((f) => MODES.map((m) => `${f}/${m === 'once' ? '1' : '∞'}`))];
  const short: Record<Outcome, string> = {
    completed: 'ok',
    'completed-after-outage': 'ok*',
    'failed-with-alert': 'alert',
    stuck: 'STUCK',
  };
  const rows = CALLS.map((call) => [
    call,
    ...FAULTS.flatMap((fault) =>
      MODES.map((mode) => {
        const r = results.find((x) => x.call === call && x.fault === fault && x.mode === mode);
        if (!r) return '-';
        return `${short[r.outcome]}${r.violations > 0 ? '!' : ''}`;
      }),
    ),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
