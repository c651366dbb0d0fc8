/**
 * TLS connections to a data plane, opened while the provider mints a key so that the validation call
 * that follows does not wait for a handshake (`npm run bench`: the handshake sat between `regenerateKey`
 * and the validation call, on the rotation's critical path).
 *
 * - A connection is opened only for a validation that is about to happen (the provider opens it as it
 *   sends the mint call), and is used by at most one request: `take` hands it out once. The request says
 *   `Connection: close`, as every validation call does, so nothing stays pooled after a run.
 * - One never taken is closed after `idleMs` (default 10 s, far below any front end's idle timeout); a
 *   connection that failed or closed meanwhile is forgotten, and the probe opens its own as before.
 * - Certificates are verified as for any call: same trust (`secureContext`), SNI for host names.
 * - Idle connections do not keep the process alive (unref'd until taken).
 */
import net from 'node:net';
import tls from 'node:tls';

export const DEFAULT_WARM_IDLE_MS = 10_000;

export class WarmConnections {
  /** Connections not taken yet, by origin, with the timer that closes each when left unused. */
  readonly #idle = new Map<string, Map<tls.TLSSocket, NodeJS.Timeout>>();
  readonly #idleMs: number;

  constructor(options: { idleMs?: number } = {}) {
    this.#idleMs = options.idleMs ?? DEFAULT_WARM_IDLE_MS;
  }

  /** Opens one connection to `url`'s origin for a later `take` (https only; anything else is ignored). */
  open(url: URL, secureContext: tls.SecureContext | undefined): void {
    if (url.protocol !== 'https:') return;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      ...(secureContext ? { secureContext } : {}),
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(() => {
      this.#forget(url.origin, socket);
      socket.destroy();
    }, this.#idleMs);
    timer.unref();
    const pool = this.#idle.get(url.origin) ?? new Map<tls.TLSSocket, NodeJS.Timeout>();
    this.#idle.set(url.origin, pool);
    pool.set(socket, timer);
    // A failed handshake is the probe's to report when it connects itself; here it is only forgotten.
    const forget = () => this.#forget(url.origin, socket);
    socket.on('error', forget);
    socket.on('close', forget);
    socket.unref();
  }

  /** A connection opened for `url`'s origin and not used yet, or undefined. */
  take(url: URL): tls.TLSSocket | undefined {
    const pool = this.#idle.get(url.origin);
    for (const socket of pool?.keys() ?? []) {
      this.#forget(url.origin, socket);
      if (socket.destroyed || !socket.writable) continue;
      socket.ref();
      return socket;
    }
    return undefined;
  }

  /** Connections opened and not taken (for tests and shutdown). */
  get idleCount(): number {
    let count = 0;
    for (const pool of this.#idle.values()) count += pool.size;
    return count;
  }

  /** Closes every connection not taken. */
  close(): void {
    for (const pool of this.#idle.values()) {
      for (const [socket, timer] of pool) {
        clearTimeout(timer);
        socket.destroy();
      }
    }
    this.#idle.clear();
  }

  #forget(origin: string, socket: tls.TLSSocket): void {
    const pool = this.#idle.get(origin);
    const timer = pool?.get(socket);
    if (!pool || timer === undefined) return;
    clearTimeout(timer);
    pool.delete(socket);
    if (pool.size === 0) this.#idle.delete(origin);
  }
}
