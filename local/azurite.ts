/**
 * Starts Azurite's blob, queue and table services in this process, on 127.0.0.1 with OS-chosen ports.
 * `require('azurite')` fails (no main), so the servers are loaded from their dist paths (DESIGN.md).
 * In memory by default; pass `location` to persist under a folder (e.g. `LOCAL_STATE_DIR/azurite`).
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** Azurite's well-known development account (public, documented; not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  clean(): Promise<void>;
  getHttpServerAddress(): string;
}

type ServerCtor = new (config: unknown) => AzuriteServer;
type ConfigCtor = new (...args: unknown[]) => unknown;

export interface AzuriteOptions {
  /** Folder to persist data in; in memory when omitted. */
  location?: string;
  /** Fixed ports (0 or omitted: the OS picks). */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
}

export interface RunningAzurite {
  connectionString: string;
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  stop(): Promise<void>;
}

function load(service: 'blob' | 'queue' | 'table'): { Server: ServerCtor; Config: ConfigCtor } {
  const cap = service[0]!.toUpperCase() + service.slice(1);
  const base = `azurite/dist/src/${service}/${cap}`;
  return {
    Server: (require(`${base}Server`) as { default: ServerCtor }).default,
    Config: (require(`${base}Configuration`) as { default: ConfigCtor }).default,
  };
}

function portOf(address: string): number {
  const match = /:(\d+)$/.exec(address);
  if (!match) throw new Error(`Azurite reported an unexpected address: ${address}`);
  return Number(match[1]);
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const memory = options.location === undefined;
  const dir = options.location ?? '';
  if (!memory) mkdirSync(dir, { recursive: true });
  const file = (name: string) => (memory ? name : path.join(dir, name));
  const host = '127.0.0.1';
  const keepAlive = 5;

  /**
   * Blob and queue servers take the same positional configuration (azurite/dist/src/{blob,queue}/…Configuration.js):
   * host, port, keep-alive, metadata and extent DB paths, persistence locations, access log (off), debug log
   * (off), loose (off), skipApiVersionCheck (on: the SDKs send newer versions than Azurite knows), no TLS, no
   * OAuth, product-style URLs (on), in-memory persistence.
   */
  const extentServer = (service: 'blob' | 'queue', port: number | undefined) => {
    const { Server, Config } = load(service);
    const locations = memory
      ? []
      : [{ locationId: 'Default', locationPath: path.join(dir, `${service}storage`), maxConcurrency: 10 }];
    return new Server(
      new Config(
        host,
        port ?? 0,
        keepAlive,
        file(`__azurite_${service}__.json`),
        file(`__azurite_${service}_extent__.json`),
        locations,
        false,
        undefined,
        false,
        undefined,
        false,
        true,
        '',
        '',
        '',
        undefined,
        false,
        memory,
      ),
    );
  };
  const blobServer = extentServer('blob', options.blobPort);
  const queueServer = extentServer('queue', options.queuePort);
  const table = load('table');
  const tableServer = new table.Server(
    new table.Config(
      host,
      options.tablePort ?? 0,
      keepAlive,
      file('__azurite_table__.json'),
      false,
      false,
      undefined,
      undefined,
      false,
      true,
      '',
      '',
      '',
      undefined,
      false,
      memory,
    ),
  );
  const servers = [blobServer, queueServer, tableServer];
  const started: AzuriteServer[] = [];
  try {
    for (const server of servers) {
      await server.start();
      started.push(server);
    }
  } catch (error) {
    await Promise.allSettled(started.map((s) => s.close()));
    throw error;
  }
  const blobEndpoint = `http://${host}:${portOf(blobServer.getHttpServerAddress())}/${DEV_ACCOUNT}`;
  const queueEndpoint = `http://${host}:${portOf(queueServer.getHttpServerAddress())}/${DEV_ACCOUNT}`;
  const tableEndpoint = `http://${host}:${portOf(tableServer.getHttpServerAddress())}/${DEV_ACCOUNT}`;
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_ACCOUNT_KEY};` +
    `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};TableEndpoint=${tableEndpoint};`;
  let stopped = false;
  return {
    connectionString,
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.allSettled(servers.map((s) => s.close()));
      if (memory) await Promise.allSettled(servers.map((s) => s.clean()));
    },
  };
}
