/**
 * A local receiver for alerts and notifications, so `npm start` has somewhere to send them: the seeded
 * Teams/Slack/webhook URLs point here. It answers as the real services do (Teams `1`, Slack `ok`, webhooks
 * 204) and logs one line per message — the kind, the sender and the size, never the content (alerts name
 * secrets and carry signatures).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../rotation/ports.js';

export type SinkKind = 'teams' | 'slack' | 'webhook';

export interface SinkMessage {
  kind: SinkKind;
  /** Consumer or channel name from the URL path. */
  owner: string;
  bytes: number;
  /** Wall-clock time (ISO). */
  at: string;
}

export interface AlertSink {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The URL a Teams/Slack/webhook sender posts to. */
  urlFor(kind: SinkKind, owner: string): string;
  /** Messages received so far (metadata only), oldest first. */
  received(): SinkMessage[];
  stop(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
const MAX_KEPT = 500;
const PATH = /^\/(teams|slack|webhook)\/([^/]+)\/?$/;

const ANSWERS: Record<SinkKind, { status: number; body: string }> = {
  teams: { status: 200, body: '1' },
  slack: { status: 200, body: 'ok' },
  webhook: { status: 204, body: '' },
};

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function measure(req: IncomingMessage): Promise<number | undefined> {
  return new Promise((resolve) => {
    let bytes = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_BODY) tooLarge = true;
    });
    req.on('end', () => resolve(tooLarge ? undefined : bytes));
    req.on('error', () => resolve(undefined));
  });
}

export async function startAlertSink(logger: Logger): Promise<AlertSink> {
  const messages: SinkMessage[] = [];
  const server = createServer((req, res) => {
    const match = PATH.exec((req.url ?? '/').split('?', 1)[0]!);
    if (req.method !== 'POST' || !match) {
      req.resume();
      reply(res, 404, 'not found');
      return;
    }
    const kind = match[1] as SinkKind;
    let owner: string;
    try {
      owner = decodeURIComponent(match[2]!);
    } catch {
      owner = match[2]!;
    }
    void measure(req).then((bytes) => {
      if (bytes === undefined) {
        reply(res, 413, 'too large');
        return;
      }
      messages.push({ kind, owner, bytes, at: new Date().toISOString() });
      if (messages.length > MAX_KEPT) messages.shift();
      logger.info(`${kind} message received`, { for: owner, bytes });
      const answer = ANSWERS[kind];
      reply(res, answer.status, answer.body);
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    urlFor: (kind, owner) => `${url}/${kind}/${encodeURIComponent(owner)}`,
    received: () => messages.map((m) => ({ ...m })),
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
