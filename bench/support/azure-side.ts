/**
 * "Azure" for the benchmark, in its own process (so its CPU is not the rotator's, as in Azure): the emulator
 * (Key Vault, ARM, data planes, Event Grid delivery) with a per-call latency fault, the consumers' webhook
 * receiver answering after the same latency, and Azure Storage (Azurite, in a process of its own:
 * `storage-side.ts`). The benchmark process (`azure-client.ts`) drives it over IPC. Every outbound call of
 * the rotator is recorded in one log here, with times on the shared epoch clock (`performance.timeOrigin +
 * performance.now()`): the emulator's and the receiver's as they answer, the storage calls as the rotator's
 * process counted them (`storage-recorder.ts`, sent with `add`).
 *
 * Run by `fork()` with `--import tsx`; starts from the `BENCH_AZURE` environment variable (JSON).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startReceiver } from '../../consumers/testing/receiver.js';
import type { ManualDataPlaneKind } from '../../local/emulator/dataplanes/types.js';
import { type ResourceDeclaration, startEmulator } from '../../local/emulator/index.js';
import { type Call, CallLog, fromEmulator } from './calls.js';
import { forkSide, serveSide } from './side-process.js';
import type { StorageSideInfo, StorageSideRequest } from './storage-side.js';

export interface AzureSideOptions {
  vaults: string[];
  resources: ResourceDeclaration[];
  latencyMs: number;
}

export interface AzureSideInfo {
  caCert: string;
  vaults: { name: string; url: string }[];
  armEndpoint: string;
  /** Azurite (the rotator's storage, counted in the rotator's process: `storage-recorder.ts`). */
  storageConnectionString: string;
  receiverOrigin: string;
}

/** A secret to write; `value` or one of the generators (values are made here, at run time). */
export interface SeedItem {
  vault: string;
  name: string;
  value?: string;
  generate?: 'random' | { cognitiveKey1: string } | { communicationPrimary: string } | { mint: string };
  tags?: Record<string, string>;
  /** Expiry, days from now. */
  expiresInDays?: number;
}

export type Request =
  | { op: 'setLatency'; ms: number }
  /** Calls recorded on the rotator's side (its storage calls), added to the log in the order sent. */
  | { op: 'add'; calls: Call[] }
  | { op: 'mark' }
  | { op: 'calls'; from: number; to?: number }
  | { op: 'record'; enabled: boolean }
  | { op: 'subscribe'; vault: string; url: string }
  | { op: 'deliveriesIdle' }
  | { op: 'seed'; items: SeedItem[]; concurrency?: number }
  | { op: 'version'; vault: string; name: string }
  | { op: 'stop' };

const nowMs = () => performance.timeOrigin + performance.now();

const STORAGE_SIDE = fileURLToPath(new URL('./storage-side.ts', import.meta.url));

async function main(): Promise<void> {
  const options = JSON.parse(process.env.BENCH_AZURE ?? '{}') as AzureSideOptions;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'rotator-bench-azure-'));
  const calls = new CallLog();
  const { info: storage, side: storageSide } = await forkSide<StorageSideRequest, StorageSideInfo>(
    STORAGE_SIDE,
    {},
  );
  const emulator = await startEmulator({
    vaults: options.vaults,
    stateDir,
    resources: options.resources,
    eventDelivery: { retryDelayMs: 20, maxRetryDelayMs: 200, maxAttempts: 2, timeoutMs: 10_000 },
  });
  emulator.control.onRequestCompleted((entry) => calls.add(fromEmulator(entry)));
  let latency = 0;
  let rule: string | undefined;
  const setLatency = (ms: number) => {
    if (rule) emulator.control.removeFault(rule);
    rule = ms > 0 ? emulator.control.addFault({ fault: { kind: 'latency', ms } }).id : undefined;
    latency = ms;
  };
  const receiver = await startReceiver();
  // Consumers and channels (webhook, Teams) answer after the same latency; each call is logged.
  for (const route of ['/hook', '/teams', '/health']) {
    receiver.respond(route, (request) => {
      const startMs = nowMs();
      calls.add({
        kind: 'consumer',
        label: `consumer ${route.slice(1)} ${request.method}`,
        method: request.method,
        path: route,
        status: 200,
        startMs,
        endMs: startMs + latency,
      });
      // Keep no request bodies: a batch sends thousands.
      receiver.requests.length = 0;
      return { status: 200, delayMs: latency };
    });
  }
  setLatency(options.latencyMs);

  const info: AzureSideInfo = {
    caCert: emulator.caCert,
    vaults: emulator.vaults.map((v) => ({ name: v.name, url: v.url })),
    armEndpoint: emulator.armEndpoint,
    storageConnectionString: storage.connectionString,
    receiverOrigin: receiver.origin,
  };

  const agent = new https.Agent({ keepAlive: true, maxSockets: 64, ca: emulator.caCert });
  const put = (url: string, body: unknown) =>
    new Promise<void>((resolve, reject) => {
      const payload = Buffer.from(JSON.stringify(body));
      const req = https.request(
        url,
        {
          method: 'PUT',
          agent,
          headers: {
            authorization: 'Bearer bench-seed',
            'content-type': 'application/json',
            'content-length': String(payload.length),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`seed PUT answered ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  /** The current version id of a secret, read through the vault's REST API (not the rotator's client). */
  const version = (vault: string, name: string) =>
    new Promise<string>((resolve, reject) => {
      const url = emulator.vaults.find((v) => v.name === vault)?.url;
      if (!url) throw new Error(`no vault ${vault}`);
      const req = https.request(
        `${url}/secrets/${name}?api-version=2025-07-01`,
        { agent, headers: { authorization: 'Bearer bench-observer' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: string };
            const id = body.id?.split('/').at(-1);
            if (res.statusCode === 200 && id) resolve(id);
            else reject(new Error(`reading ${name} answered ${res.statusCode}`));
          });
        },
      );
      req.on('error', reject);
      req.end();
    });

  const seedValue = (item: SeedItem): string => {
    const g = item.generate;
    if (item.value !== undefined) return item.value;
    if (g === undefined || g === 'random')
      return Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
    if ('cognitiveKey1' in g) return emulator.control.arm.cognitiveKeys(g.cognitiveKey1).key1;
    if ('communicationPrimary' in g)
      return emulator.control.arm.communicationKeys(g.communicationPrimary).primaryConnectionString;
    return emulator.control.dataPlanes.mintCredential(g.mint as ManualDataPlaneKind).value;
  };

  /** Writes secrets straight to the vault's REST API (seeding is not what is measured). */
  const seed = async (items: SeedItem[], concurrency = 32): Promise<number> => {
    const now = Math.floor(emulator.clock.now().getTime() / 1000);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++]!;
        const url = emulator.vaults.find((v) => v.name === item.vault)?.url;
        if (!url) throw new Error(`no vault ${item.vault}`);
        await put(`${url}/secrets/${item.name}?api-version=2025-07-01`, {
          value: seedValue(item),
          tags: item.tags ?? {},
          attributes:
            item.expiresInDays === undefined ? {} : { exp: now + Math.round(item.expiresInDays * 86_400) },
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
    return items.length;
  };

  const handle = async (request: Request): Promise<unknown> => {
    switch (request.op) {
      case 'setLatency':
        setLatency(request.ms);
        return undefined;
      case 'add':
        for (const call of request.calls) calls.add(call);
        return undefined;
      case 'mark':
        return calls.mark();
      case 'calls':
        return calls.since(request.from, request.to);
      case 'record':
        calls.enabled = request.enabled;
        return undefined;
      case 'subscribe':
        await emulator.control.subscribe(request.vault, { url: request.url });
        return undefined;
      case 'deliveriesIdle':
        await emulator.control.deliveriesIdle();
        return undefined;
      case 'seed':
        return seed(request.items, request.concurrency);
      case 'version':
        return version(request.vault, request.name);
      case 'stop':
        agent.destroy();
        await receiver.close();
        await emulator.stop();
        await storageSide.stop({ op: 'stop' });
        rmSync(stateDir, { recursive: true, force: true });
        return undefined;
    }
  };

  serveSide<Request>(info, handle, (request) => request.op === 'stop');
}

export type { Call };

main().catch((error: unknown) => {
  process.stderr.write(`bench azure side failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
