/**
 * Test helper: a local HTTP receiver on 127.0.0.1 (port 0) standing in for Teams, Slack, webhook receivers
 * and health URLs. Records every request (raw body included) and answers with a scripted responder.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Wall-clock ms when the request arrived. */
  at: number;
}

export interface Reply {
  status: number;
  body?: string;
  /** Answer after this many ms (to show that consumers run in parallel). */
  delayMs?: number;
  headers?: Record<string, string>;
}

export type Responder = (request: ReceivedRequest, index: number) => Reply | number;

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  url(path: string): string;
  requests: ReceivedRequest[];
  /** Requests to one path. */
  to(path: string): ReceivedRequest[];
  /** Replaces the responder for a path (default: 200 for everything). */
  respond(path: string, responder: Responder): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const responders = new Map<string, Responder>();
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const request: ReceivedRequest = {
        method: req.method ?? 'GET',
        path,
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      requests.push(request);
      const index = counts.get(path) ?? 0;
      counts.set(path, index + 1);
      const answer = responders.get(path)?.(request, index) ?? 200;
      const reply: Reply = typeof answer === 'number' ? { status: answer } : answer;
      const { status, body, delayMs, headers } = reply;
      const send = () => {
        res.writeHead(status, { 'content-type': 'text/plain', ...headers });
        res.end(body ?? (status < 300 ? 'ok' : 'error'));
      };
      if (delayMs === undefined) send();
      else setTimeout(send, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    requests,
    to: (path) => requests.filter((request) => request.path === path),
    respond: (path, responder) => {
      responders.set(path, responder);
    },
    reset: () => {
      requests.length = 0;
      responders.clear();
      counts.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
