/**
 * Test support for the key-pair providers: a provider context over the in-memory Key Vault, a stub data
 * plane on loopback that records requests and answers what a test asks, and an error shaped like the
 * SDK's `RestError`. Used only by tests.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../../rotation/fakes/clock.js';
import { MemoryLogger } from '../../rotation/fakes/logger.js';
import { FakeSecretStore } from '../../rotation/fakes/secret-store.js';
import type { ProviderKind } from '../../rotation/kinds.js';
import type { CredentialGroup, ProviderContext } from '../../rotation/ports.js';

export const VAULT = 'kv-test';

export function makeGroup(
  provider: ProviderKind,
  secrets: string[],
  settings: Record<string, unknown>,
): CredentialGroup {
  return {
    vault: VAULT,
    id: 'grp',
    provider,
    settings,
    validityDays: 90,
    minIntervalHours: 24,
    consumers: [],
    channels: [],
    owners: [],
    secrets: secrets.map((name) => ({
      vault: VAULT,
      name,
      provider,
      group: 'grp',
      settings,
      validityDays: 90,
      minIntervalHours: 24,
      consumers: [],
      channels: [],
      owners: [],
      source: 'config' as const,
    })),
  };
}

export interface TestContext<S> {
  ctx: ProviderContext<S>;
  store: FakeSecretStore;
  log: MemoryLogger;
  clock: FakeClock;
}

export function makeContext<S>(
  provider: ProviderKind,
  settings: S,
  secrets: string[] = ['app-key'],
): TestContext<S> {
  const clock = new FakeClock(new Date());
  const store = new FakeSecretStore(clock);
  const log = new MemoryLogger();
  const group = makeGroup(provider, secrets, settings as Record<string, unknown>);
  return { ctx: { group, settings, clock, log, secrets: store }, store, log, clock };
}

/** An error shaped like `@azure/core-rest-pipeline`'s `RestError`, carrying a request with a secret header. */
export function restError(
  status: number,
  headers: Record<string, string> = {},
  secret = 'bearer-token',
): Error {
  const error = new Error(`Operation returned an invalid status code 'Status ${status}'`) as Error & {
    statusCode: number;
    code: string;
    request: unknown;
    response: unknown;
  };
  error.name = 'RestError';
  error.statusCode = status;
  error.code = status === 403 ? 'AuthorizationFailed' : status === 404 ? 'ResourceNotFound' : 'ServerError';
  error.request = { headers: { authorization: `Bearer ${secret}` } };
  error.response = {
    status,
    headers: { get: (name: string) => headers[name.toLowerCase()] },
    bodyAsText: `{"keys":"${secret}"}`,
  };
  return error;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface StubResponse {
  status: number;
  headers?: Record<string, string>;
  /** Never answer (to exercise the per-call timeout). */
  hang?: boolean;
}

/** A loopback HTTP server standing in for a data plane. */
export class StubDataPlane {
  readonly requests: RecordedRequest[] = [];
  respond: (req: RecordedRequest) => StubResponse = () => ({ status: 200 });
  private server: http.Server | undefined;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const recorded: RecordedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(recorded);
        const answer = this.respond(recorded);
        if (answer.hang) return;
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end('{}');
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** Every string a test must never see in an error, a log line or a result reason. */
export function leaked(haystack: unknown, secrets: readonly string[]): string[] {
  const text = typeof haystack === 'string' ? haystack : JSON.stringify(haystack, errorReplacer);
  return secrets.filter((s) => s.length > 0 && text.includes(s));
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { ...value, name: value.name, message: value.message, cause: value.cause };
  }
  return value;
}
