/** An error a route handler throws to answer with a given status and `{ error: { code, message } }`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  /** Extra members of the `error` object (e.g. Key Vault's `innererror`). */
  readonly extra: Record<string, unknown>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { headers?: Record<string, string>; extra?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
    this.extra = options.extra ?? {};
  }
}

/** The body Azure services (Key Vault, ARM) and our control API use for errors. */
export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}): unknown {
  return { error: { code, message, ...extra } };
}
