/**
 * What the run-starting HTTP functions share: which vault a request means (`?vault=`), how long they
 * wait for the worker (`HTTP_WAIT_SECONDS`), and how a run becomes an answer — `200` with the run when it
 * finished well, `202` + `Location` while it is still going, and DESIGN.md's error body (plus the run)
 * when it ended `failed` or `skipped`, with the status its error code maps to (422 rejected credential,
 * 503 + `Retry-After` provider or Azure unavailable, 409 spacing, 412 version mismatch, …).
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { RotatorApp } from '../../composition/app.js';
import { ERROR_CODES, type ErrorCode, RotationError } from '../../rotation/errors.js';
import type { RunRecord } from '../../rotation/ports.js';
import { DEFAULT_RETRY_AFTER_SECONDS, errorResponse, statusForErrorCode } from './errors.js';
import { runLocation, runView } from './run-view.js';

/** Key Vault names: 3–24 letters, digits and hyphens. */
const VAULT_NAME = /^[A-Za-z0-9-]{1,127}$/;

function configuredVaults(app: RotatorApp): string[] {
  return app.config.vaults.map((v) => v.name.toLowerCase());
}

/** The vault `?vault=` names (must be configured), else the only configured vault. */
export function resolveVault(app: RotatorApp, request: HttpRequest): string {
  const asked = request.query.get('vault')?.trim();
  if (asked) {
    const vault = asked.toLowerCase();
    if (!VAULT_NAME.test(asked) || !configuredVaults(app).includes(vault)) {
      throw new RotationError('NotFound', `vault ${asked.slice(0, 127)} is not configured`, {
        details: [{ path: 'vault', message: 'not a configured vault' }],
      });
    }
    return vault;
  }
  if (app.config.defaultVault) return app.config.defaultVault.toLowerCase();
  throw new RotationError('BadRequest', 'several vaults are configured: name one with ?vault=NAME', {
    details: [{ path: 'vault', message: `one of ${configuredVaults(app).join(', ')}` }],
  });
}

/** `?vault=` as a one-vault scope, else every configured vault. */
export function vaultScope(app: RotatorApp, request: HttpRequest): string[] {
  return request.query.get('vault')?.trim() ? [resolveVault(app, request)] : configuredVaults(app);
}

export function httpWaitMs(app: RotatorApp): number {
  return app.settings.HTTP_WAIT_SECONDS * 1000;
}

/** The secret name from the route, checked like Key Vault checks it. */
export function secretParam(request: HttpRequest): string {
  const name = request.params.name ?? '';
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) {
    throw new RotationError(
      'UnmanagedSecret',
      `${name.slice(0, 127) || '(empty)'} is not a Key Vault secret name`,
    );
  }
  return name;
}

function isErrorCode(code: string): code is ErrorCode {
  return (Object.values(ERROR_CODES) as string[]).includes(code);
}

/** Status for a run that ended without doing what was asked (`failed`, `skipped`). */
export function statusForRunError(
  code: string | undefined,
  options: { ifCurrentVersion?: boolean } = {},
): number {
  if (code === undefined) return 500;
  if (code === ERROR_CODES.staleTrigger && options.ifCurrentVersion) return 412;
  if (code === 'RunExists') return 409;
  return isErrorCode(code) ? statusForErrorCode(code) : 500;
}

export interface RunAnswerOptions {
  /** Whether the wait ended because the run is done (else 202). */
  done: boolean;
  /** Secret named by the request (picks `previousVersion`/`newVersion`). */
  secret?: string;
  /** The request carried `ifCurrentVersion`: a stale run is a 412. */
  ifCurrentVersion?: boolean;
}

/** `200`/`202`/error answer for a run (see the module comment). */
export function runAnswer(run: RunRecord, options: RunAnswerOptions): HttpResponseInit {
  const view = runView(run, options.secret);
  const headers: Record<string, string> = { Location: runLocation(run.id) };
  if (!options.done) return { status: 202, headers, jsonBody: view };
  if (run.status !== 'failed' && run.status !== 'skipped') return { status: 200, headers, jsonBody: view };
  const code = run.error?.code;
  const status = statusForRunError(code, options);
  const body = errorResponse(
    status,
    status === 412 ? ERROR_CODES.versionMismatch : (code ?? 'InternalError'),
    `run ${run.id} ${run.status}: ${run.error?.message ?? 'no reason recorded'}`,
    [{ path: 'runId', message: run.id }],
  );
  if (status === 503) headers['Retry-After'] = String(DEFAULT_RETRY_AFTER_SECONDS);
  return { status, headers, jsonBody: { ...body.jsonBody, run: view } };
}

/** `409` for a run of the group that is queued or running, naming it (and where to watch it). */
export function runInProgress(run: RunRecord): RotationError {
  return new RotationError(
    'RunInProgress',
    `run ${run.id} of group ${run.group} is ${run.status}; watch ${runLocation(run.id)}`,
    {
      details: [{ path: 'runId', message: run.id }],
    },
  );
}
