/** Control API of the ARM module (`/_emulator/…`): declare resources, forbid them, read the restart log. */
import type { Route } from '../types.js';
import { json, tryReadJson } from './http.js';
import { describeIssues, forbidRequestSchema, resourceDeclarationSchema } from './schema.js';
import type { ArmModule } from './types.js';

function badRequest(message: string, details: { path: string; message: string }[] = []) {
  return json(400, { error: { code: 'BadRequest', message, details } });
}

export function armControlRoutes(arm: ArmModule): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/_emulator/resources',
      handler: () => json(200, { value: arm.list() }),
    },
    {
      method: 'POST',
      pattern: '/_emulator/resources',
      handler: (req) => {
        const body = tryReadJson(req);
        if (!body.ok) return badRequest('The body is not valid JSON.');
        const parsed = resourceDeclarationSchema.safeParse(body.value);
        if (!parsed.success) return badRequest('Invalid resource declaration.', describeIssues(parsed.error));
        try {
          return json(201, arm.declare(parsed.data));
        } catch (error) {
          // A name clash across resource groups: a conflict the caller can fix.
          return json(409, {
            error: { code: 'Conflict', message: error instanceof Error ? error.message : 'conflict' },
          });
        }
      },
    },
    {
      method: 'POST',
      pattern: '/_emulator/resources/forbid',
      handler: (req) => {
        const body = tryReadJson(req);
        if (!body.ok) return badRequest('The body is not valid JSON.');
        const parsed = forbidRequestSchema.safeParse(body.value);
        if (!parsed.success) return badRequest('Invalid forbid request.', describeIssues(parsed.error));
        const known = arm.list().some((r) => r.id.toLowerCase() === parsed.data.id.trim().toLowerCase());
        if (!known) return json(404, { error: { code: 'NotFound', message: 'No such resource declared.' } });
        arm.setForbidden(parsed.data.id, parsed.data.forbidden);
        return json(200, { id: parsed.data.id, forbidden: parsed.data.forbidden });
      },
    },
    {
      method: 'GET',
      pattern: '/_emulator/restarts',
      handler: () => json(200, { value: arm.restarts() }),
    },
  ];
}
