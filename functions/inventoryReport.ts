/**
 * `inventoryReport` — `GET /api/reports/inventory[?format=json|csv|html][&vault=NAME][&state=STATE]`:
 * every secret in every configured vault with one state each (`rotation/reports`). Built from Key Vault's
 * property listings and one journal query per vault: no value is read, nothing is fetched per secret.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { GetApp } from '../composition/app.js';
import { getRotatorApp } from '../composition/instance.js';
import { RotationError } from '../rotation/errors.js';
import {
  collectInventory,
  filterInventory,
  parseInventoryState,
  parseReportFormat,
  renderReport,
} from '../rotation/reports/index.js';
import type { HttpFunctionDefinition, HttpFunctionHandler } from './definition.js';
import { withErrorHandling } from './http/index.js';

const KNOWN_PARAMS = new Set(['format', 'vault', 'state', 'code']);

/** Query parameters a report route accepts; anything else is a `400` (a typo must not widen the report). */
export function rejectUnknownParams(request: HttpRequest, known: ReadonlySet<string>): void {
  const unknown = [...new Set(request.query.keys())].filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new RotationError('BadRequest', 'Unknown query parameter.', {
      details: unknown.map((key) => ({
        path: key.slice(0, 40),
        message: `unknown parameter; use ${[...known].filter((k) => k !== 'code').join(', ')}`,
      })),
    });
  }
}

export function createInventoryReportHandler(getApp: GetApp): HttpFunctionHandler {
  return withErrorHandling(async (request: HttpRequest): Promise<HttpResponseInit> => {
    rejectUnknownParams(request, KNOWN_PARAMS);
    const format = parseReportFormat(request.query.get('format'));
    const state = parseInventoryState(request.query.get('state'));
    const app = await getApp();
    const vault = request.query.get('vault')?.trim().toLowerCase();
    if (vault && !app.config.vaults.some((v) => v.name === vault)) {
      throw new RotationError('NotFound', `vault ${vault.slice(0, 40)} is not configured`);
    }
    const scan = await collectInventory(
      { ...app.engine, heartbeat: app.heartbeat },
      app.config,
      vault ? { vaults: [vault] } : {},
    );
    const report = filterInventory(scan.report, state);
    if (format === 'json') return { status: 200, headers: { 'Cache-Control': 'no-store' }, jsonBody: report };
    const rendered = renderReport(report, format);
    return { status: 200, headers: rendered.headers, body: rendered.body };
  });
}

export const inventoryReport: HttpFunctionDefinition = {
  name: 'inventoryReport',
  trigger: { type: 'http', methods: ['GET'], route: 'reports/inventory', authLevel: 'function' },
  handler: createInventoryReportHandler(getRotatorApp),
};
