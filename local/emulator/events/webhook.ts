/** The HTTP side of webhook delivery: one JSON POST with a timeout, and the checks on receiver URLs. */
import http from 'node:http';
import https from 'node:https';

/** What one POST came to: the receiver's status and (first 64 KB of) body, or a connection error. */
export interface Attempt {
  status: number | null;
  body?: string;
  error?: string;
}

export interface PostOptions {
  headers: Record<string, string>;
  /** Trusted for `https:` receivers (the emulator's own CA). */
  caCert: string;
  timeoutMs: number;
  /** Requests in flight are kept here so a stop can abort them. */
  inflight: Set<http.ClientRequest>;
}

const MAX_ANSWER_BYTES = 64 * 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export class SubscriptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubscriptionError';
  }
}

/** POSTs `payload` as JSON without keep-alive; never rejects (errors become `{ status: null, error }`). */
export function postJson(url: URL, payload: unknown, options: PostOptions): Promise<Attempt> {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<Attempt>((resolve) => {
    const request = transport.request(
      url,
      {
        method: 'POST',
        agent: false,
        ca: url.protocol === 'https:' ? options.caCert : undefined,
        timeout: options.timeoutMs,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': String(body.length),
          ...options.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? null, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', (error) => resolve({ status: null, error: error.message }));
      },
    );
    options.inflight.add(request);
    request.on('close', () => options.inflight.delete(request));
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error) => resolve({ status: null, error: error.message }));
    request.end(body);
  });
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

export function validationResponse(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined; // not JSON: the handshake simply failed
    throw error;
  }
  const value = (parsed as { validationResponse?: unknown } | null)?.validationResponse;
  return typeof value === 'string' ? value : undefined;
}

export function checkReceiverUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    if (error instanceof TypeError) throw new SubscriptionError('The subscription url is not a valid URL.');
    throw error;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SubscriptionError('The subscription url must be http: or https:.');
  }
  if (!LOOPBACK_HOSTS.has(url.hostname.toLowerCase())) {
    throw new SubscriptionError(
      'The subscription url must point at a loopback address (127.0.0.1, localhost, ::1).',
    );
  }
  return url;
}
