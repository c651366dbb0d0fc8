import { describe, expect, it } from 'vitest';
import { createArmModule } from '../arm/index.js';
import { dispatch, testContext } from '../arm/testing.js';
import { createDataPlanesModule } from './index.js';

describe('site host stand-in', () => {
  it('answers 200 under the defaultHostName path with the restart count, 404 for unknown sites', async () => {
    const { ctx } = testContext();
    const arm = createArmModule(ctx, [{ type: 'Microsoft.Web/sites', resourceGroup: 'rg', name: 'app' }]);
    const planes = createDataPlanesModule(ctx, arm);
    const routes = [...arm.routes, ...planes.routes];
    const site = arm.list()[0];
    const restart = await dispatch(routes, {
      method: 'POST',
      path: `${site?.id}/restart?api-version=2025-05-01`,
      headers: { authorization: 'Bearer t' },
    });
    expect(restart.status).toBe(200);
    const health = await dispatch(routes, { method: 'GET', path: '/sites/app/api/health' });
    expect(health.status).toBe(200);
    expect(health.json()).toMatchObject({ site: 'app', state: 'Running', restarts: 1 });
    expect((await dispatch(routes, { method: 'GET', path: '/sites/app/' })).status).toBe(200);
    expect((await dispatch(routes, { method: 'GET', path: '/sites/other' })).status).toBe(404);
  });
});
