/**
 * The contract between the emulator's server core (TLS, routing, faults, request log, clock, control API)
 * and the modules that serve an Azure API (Key Vault, ARM, provider data planes).
 * A module is a list of routes plus optional state it exposes for snapshots.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface EmulatorRequest {
  method: string;
  url: URL;
  /** Path without query, percent-decoded per segment by the router into `params`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The caller's socket address (the server core answers only loopback callers on control routes). */
  remoteAddress?: string;
}

export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless it is a Buffer or a string. Omit for an empty body. */
  body?: unknown;
}

/**
 * A handler may also throw `HttpError` (from `core/http-error.ts`) to answer `{ error: { code, message } }`
 * with a status; any other exception becomes a 500 without details.
 */
export type RouteHandler = (
  req: EmulatorRequest,
  params: Record<string, string>,
) => EmulatorResponse | Promise<EmulatorResponse>;

export interface Route {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Path pattern with `:param` segments, matched case-insensitively on literals, e.g. `/secrets/:name/:version`. */
  pattern: string;
  handler: RouteHandler;
}

/** The emulator's clock: starts at real time, moves only forward, and can be advanced by the control API. */
export interface EmulatorClock {
  now(): Date;
  advance(ms: number): void;
  /** Called after every advance (event delivery uses it to fire near-expiry and expiry events). */
  onAdvance(listener: (now: Date) => void | Promise<void>): void;
}

export interface EmulatorContext {
  clock: EmulatorClock;
  /** Origin of the shared emulator server (ARM, data planes, control API), e.g. `https://127.0.0.1:40123`. */
  origin(): string;
}

export interface EmulatorModule {
  /** Routes served on the shared emulator origin. */
  routes: Route[];
  /** JSON-serialisable state, for "nothing changed" snapshots. Must not include secret values in plain text? It may: snapshots are test-only. */
  snapshot(): unknown;
}
