/**
 * Test support for the manual providers (imported only by tests): the local emulator with its provider
 * data planes (mint/revoke like a human in a dashboard, faults for 5xx/429/timeouts, a request log to
 * prove a check made no call), a closed loopback port, a context over the in-memory Key Vault, and a
 * scan for leaked values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { ManualDataPlaneKind, MintedCredential } from '../../local/emulator/dataplanes/index.js';
import { type FaultAction, type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import type { ProviderKind } from '../../rotation/kinds.js';
import { makeContext, type TestContext } from '../shared/testing.js';
import type { DataPlaneOptions } from './http.js';
import { type EmulatedManualKind, emulatorBaseUrl } from './local.js';

export interface ManualEmulator {
  emulator: RunningEmulator;
  /** Trust for the emulator's certificate, per request. */
  dataPlane: DataPlaneOptions;
  baseUrl(kind: EmulatedManualKind): string;
  /** What a human gets from the dashboard: a fresh credential in the provider's real format. */
  mint(kind: ManualDataPlaneKind): MintedCredential;
  /** What a human does in the dashboard: revoke by id, last 4 or value. */
  revoke(kind: ManualDataPlaneKind, ref: string): number;
  /** Injects a fault on a data-plane path (glob) for the next `times` calls (all when omitted). */
  fault(pathGlob: string, fault: FaultAction, times?: number): void;
  /** Data-plane requests so far on paths starting with `prefix`. */
  calls(prefix: string): number;
  stop(): Promise<void>;
}

export async function startManualEmulator(): Promise<ManualEmulator> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'manual-providers-'));
  const emulator = await startEmulator({ vaults: [], stateDir });
  const planes = emulator.control.dataPlanes;
  return {
    emulator,
    dataPlane: { ca: emulator.caCert },
    baseUrl: (kind) => emulatorBaseUrl(kind, emulator.origin),
    mint: (kind) => planes.mintCredential(kind),
    revoke: (kind, ref) => planes.revokeCredential(kind, ref),
    fault: (pathGlob, fault, times) => {
      emulator.control.addFault({ path: pathGlob, fault, ...(times === undefined ? {} : { times }) });
    },
    calls: (prefix) => emulator.control.requests().filter((r) => r.path.startsWith(prefix)).length,
    stop: async () => {
      await emulator.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** A loopback port nothing listens on (bound, then closed). */
export async function closedLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A provider context over the in-memory Key Vault, with settings already parsed by the provider. */
export function manualContext<S>(
  kind: ProviderKind,
  settings: S,
  secrets: (string | { name: string; part?: string })[] = ['app-key'],
): TestContext<S> {
  const context = makeContext(
    kind,
    settings,
    secrets.map((s) => (typeof s === 'string' ? s : s.name)),
  );
  secrets.forEach((s, i) => {
    if (typeof s !== 'string' && s.part !== undefined) context.ctx.group.secrets[i]!.part = s.part;
  });
  return context;
}

/**
 * Starts one emulator for the test file (`beforeAll`) and stops it (`afterAll`); the returned handle is
 * usable inside tests and `beforeEach`.
 */
export function useManualEmulator(): { readonly current: ManualEmulator } {
  let running: ManualEmulator | undefined;
  beforeAll(async () => {
    running = await startManualEmulator();
  });
  afterAll(async () => {
    await running?.stop();
  });
  return {
    get current(): ManualEmulator {
      if (!running) throw new Error('the emulator is not running (use it inside tests)');
      return running;
    },
  };
}
