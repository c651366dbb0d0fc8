/**
 * `historyReport` — `GET /api/reports/history[?since&until&secret&status&vault&group&limit][&format=…]`:
 * runs newest first with trigger, phases, versions old → new, `CredentialId`, key hints, consumer
 * outcomes, revocations and duration. Bad or unknown filters answer `400` with details.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { GetApp } from '../composition/app.js';
import { getRotatorApp } from '../composition/instance.js';
import {
  collectHistory,
  parseHistoryQuery,
  parseReportFormat,
  renderReport,
} from '../rotation/reports/index.js';
import type { HttpFunctionDefinition, HttpFunctionHandler } from './definition.js';
import { withErrorHandling } from './http/index.js';

function queryRecord(request: HttpRequest): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of request.query.entries()) params[key] = value;
  return params;
}

export function createHistoryReportHandler(getApp: GetApp): HttpFunctionHandler {
  return withErrorHandling(async (request: HttpRequest): Promise<HttpResponseInit> => {
    const format = parseReportFormat(request.query.get('format'));
    const query = parseHistoryQuery(queryRecord(request));
    const app = await getApp();
    const report = await collectHistory(app.engine, query);
    if (format === 'json') return { status: 200, headers: { 'Cache-Control': 'no-store' }, jsonBody: report };
    const rendered = renderReport(report, format);
    return { status: 200, headers: rendered.headers, body: rendered.body };
  });
}

export const historyReport: HttpFunctionDefinition = {
  name: 'historyReport',
  trigger: { type: 'http', methods: ['GET'], route: 'reports/history', authLevel: 'function' },
  handler: createHistoryReportHandler(getRotatorApp),
};
