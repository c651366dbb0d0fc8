/** Small helpers shared by the ARM and data-plane handlers: JSON bodies and ARM-style error responses. */
import type { EmulatorRequest, EmulatorResponse } from '../types.js';

/** Parses the request body as JSON; an empty body is `undefined`. Throws `SyntaxError` on bad JSON. */
export function readJson(req: EmulatorRequest): unknown {
  const text = req.body.toString('utf8').trim();
  return text === '' ? undefined : JSON.parse(text);
}

/** Like {@link readJson} but answers `{ ok: false }` instead of throwing, for handlers that reply 400. */
export function tryReadJson(
  req: EmulatorRequest,
): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: readJson(req) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : 'invalid JSON' };
  }
}

/** ARM's error envelope: `{ "error": { "code", "message" } }`. */
export function armError(status: number, code: string, message: string): EmulatorResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: { error: { code, message } },
  };
}

export function json(status: number, body: unknown): EmulatorResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body };
}

/** First value of a header (Node joins most repeated headers, but `string[]` is possible). */
export function header(req: EmulatorRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
