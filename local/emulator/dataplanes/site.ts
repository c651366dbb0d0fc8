/**
 * A stand-in for a Web site's own host (`defaultHostName` points here): any GET under `/sites/{name}/`
 * answers 200 with the site's state and restart count, so propagation can poll "is it back?".
 */

import { json } from '../arm/http.js';
import type { ArmModule } from '../arm/index.js';
import type { EmulatorRequest, EmulatorResponse, Route } from '../types.js';

export function siteRoutes(arm: ArmModule): Route[] {
  const handler = (_req: EmulatorRequest, params: Record<string, string>): EmulatorResponse => {
    const site = arm.findAccount('Microsoft.Web/sites', params.name ?? '');
    if (!site)
      return {
        status: 404,
        headers: { 'content-type': 'text/html' },
        body: '<h1>404 Web Site not found.</h1>',
      };
    const restarts = arm.restarts().filter((r) => r.siteId.toLowerCase() === site.id.toLowerCase());
    return json(200, {
      site: site.name,
      state: 'Running',
      restarts: restarts.length,
      lastRestartAt: restarts.at(-1)?.at ?? null,
    });
  };
  return ['/sites/:name/:a?', '/sites/:name/:a/:b', '/sites/:name/:a/:b/:c'].map((pattern) => ({
    method: 'GET' as const,
    pattern,
    handler,
  }));
}
