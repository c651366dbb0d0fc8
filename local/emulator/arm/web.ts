/**
 * ARM routes of `Microsoft.Web/sites`: get site/slot and restart site/slot. Restarts are recorded with the
 * emulator clock and the wall clock; `WebSiteManagementClient` v19 expects `200` with an empty body.
 */
import type { EmulatorContext, EmulatorRequest, Route } from '../types.js';
import { guardArmRequest, notFound } from './guard.js';
import { json } from './http.js';
import type { ResourceStore, StoredResource } from './store.js';
import type { RestartRecord } from './types.js';

const TYPE = 'Microsoft.Web/sites';
const BASE = `/subscriptions/:sub/resourceGroups/:rg/providers/${TYPE}/:name`;

export class RestartLog {
  private readonly records: RestartRecord[] = [];

  add(record: RestartRecord): void {
    this.records.push(record);
  }

  list(): RestartRecord[] {
    return this.records.map((r) => ({ ...r }));
  }
}

export function webRoutes(store: ResourceStore, ctx: EmulatorContext, log: RestartLog): Route[] {
  const findSlot = (res: StoredResource, slot: string) =>
    res.slots.find((s) => s.toLowerCase() === slot.toLowerCase());
  const record = (req: EmulatorRequest, res: StoredResource, slot: string) => {
    log.add({
      siteId: store.id(res),
      site: res.name,
      slot,
      softRestart: boolParam(req, 'softRestart'),
      synchronous: boolParam(req, 'synchronous'),
      at: ctx.clock.now().toISOString(),
      realAt: new Date().toISOString(),
    });
    return { status: 200 };
  };
  return [
    {
      method: 'GET',
      pattern: BASE,
      handler: (req, params) => {
        const g = guardArmRequest(store, req, params, { type: TYPE, action: 'read' });
        return g.ok ? json(200, siteBody(store, g.res, undefined)) : g.response;
      },
    },
    {
      method: 'POST',
      pattern: `${BASE}/restart`,
      handler: (req, params) => {
        const g = guardArmRequest(store, req, params, { type: TYPE, action: 'restart' });
        return g.ok ? record(req, g.res, 'production') : g.response;
      },
    },
    {
      method: 'GET',
      pattern: `${BASE}/slots/:slot`,
      handler: (req, params) => {
        const child = { type: 'slots', name: params.slot ?? '' };
        const g = guardArmRequest(store, req, params, { type: TYPE, action: 'read', child });
        if (!g.ok) return g.response;
        const slot = findSlot(g.res, child.name);
        return slot ? json(200, siteBody(store, g.res, slot)) : slotNotFound(g.res, child.name);
      },
    },
    {
      method: 'POST',
      pattern: `${BASE}/slots/:slot/restart`,
      handler: (req, params) => {
        const child = { type: 'slots', name: params.slot ?? '' };
        const g = guardArmRequest(store, req, params, { type: TYPE, action: 'restart', child });
        if (!g.ok) return g.response;
        const slot = findSlot(g.res, child.name);
        return slot ? record(req, g.res, slot) : slotNotFound(g.res, child.name);
      },
    },
  ];
}

function slotNotFound(res: StoredResource, slot: string) {
  return notFound(`${TYPE}/${res.name}/slots`, slot, res.resourceGroup);
}

/** `true`/`false` query values (any case); undefined when absent or unparseable. */
function boolParam(req: EmulatorRequest, name: string): boolean | undefined {
  const value = req.url.searchParams.get(name)?.toLowerCase();
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

function siteBody(store: ResourceStore, res: StoredResource, slot: string | undefined): unknown {
  const siteHost = store.hostName(res);
  const host = slot ? `${siteHost}-${slot.toLowerCase()}` : siteHost;
  return {
    id: slot ? `${store.id(res)}/slots/${slot}` : store.id(res),
    name: slot ? `${res.name}/${slot}` : res.name,
    type: slot ? `${TYPE}/slots` : TYPE,
    kind: 'functionapp',
    location: res.location,
    tags: {},
    properties: {
      name: slot ? `${res.name}(${slot})` : res.name,
      state: 'Running',
      hostNames: [host],
      enabledHostNames: [host],
      defaultHostName: host,
      enabled: true,
      availabilityState: 'Normal',
      usageState: 'Normal',
      resourceGroup: res.resourceGroup,
      httpsOnly: true,
      lastModifiedTimeUtc: res.createdAt,
    },
  };
}
