/** Control API of the provider data planes: mint, seed, list and revoke manual-provider credentials. */
import { z } from 'zod';
import { json, tryReadJson } from '../arm/http.js';
import type { Route } from '../types.js';
import { type DataPlanesModule, MANUAL_DATA_PLANE_KINDS, type ManualDataPlaneKind } from './types.js';

const mintBody = z.strictObject({ value: z.string().min(1).optional() }).optional();

function kindOf(params: Record<string, string>): ManualDataPlaneKind | undefined {
  const kind = (params.kind ?? '').toLowerCase();
  return (MANUAL_DATA_PLANE_KINDS as readonly string[]).includes(kind)
    ? (kind as ManualDataPlaneKind)
    : undefined;
}

const unknownKind = () =>
  json(404, {
    error: {
      code: 'NotFound',
      message: `Unknown provider kind; expected one of ${MANUAL_DATA_PLANE_KINDS.join(', ')}.`,
    },
  });

const badRequest = (message: string) => json(400, { error: { code: 'BadRequest', message } });

export function dataPlaneControlRoutes(planes: DataPlanesModule): Route[] {
  const base = '/_emulator/providers/:kind/credentials';
  return [
    {
      method: 'POST',
      pattern: base,
      handler: (req, params) => {
        const kind = kindOf(params);
        if (!kind) return unknownKind();
        const body = tryReadJson(req);
        if (!body.ok) return badRequest('The body is not valid JSON.');
        const parsed = mintBody.safeParse(body.value);
        if (!parsed.success) return badRequest('The body must be empty or { "value": "…" }.');
        const value = parsed.data?.value;
        if (value === undefined) return json(201, planes.mintCredential(kind));
        try {
          return json(201, planes.seedCredential(kind, value));
        } catch (error) {
          return badRequest(error instanceof Error ? error.message : 'Invalid credential.');
        }
      },
    },
    {
      method: 'GET',
      pattern: base,
      handler: (_req, params) => {
        const kind = kindOf(params);
        if (!kind) return unknownKind();
        // Values stay out of listings: id, hint and state are enough to pick one to revoke.
        const value = planes
          .credentials(kind)
          .map(({ id, last4, revoked, createdAt }) => ({ kind, id, last4, revoked, createdAt }));
        return json(200, { value });
      },
    },
    {
      method: 'DELETE',
      pattern: `${base}/:ref`,
      handler: (_req, params) => {
        const kind = kindOf(params);
        if (!kind) return unknownKind();
        const revoked = planes.revokeCredential(kind, params.ref ?? '');
        return revoked > 0
          ? json(200, { revoked })
          : json(404, {
              error: { code: 'NotFound', message: 'No live credential matches that id or hint.' },
            });
      },
    },
  ];
}
