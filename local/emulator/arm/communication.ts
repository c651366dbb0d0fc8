/** ARM routes of `Microsoft.Communication/communicationServices`: get, listKeys, regenerateKey. */
import { z } from 'zod';
import type { Route } from '../types.js';
import { guardArmRequest } from './guard.js';
import { armError, json, tryReadJson } from './http.js';
import { communicationConnectionString } from './keys.js';
import type { ResourceStore, StoredResource } from './store.js';
import type { CommunicationKeys } from './types.js';

const TYPE = 'Microsoft.Communication/communicationServices';
const BASE = `/subscriptions/:sub/resourceGroups/:rg/providers/${TYPE}/:name`;

const regenerateBody = z.object({ keyType: z.string().regex(/^(primary|secondary)$/i) });

/** Both keys and their connection strings, as listKeys returns them. */
export function communicationKeys(store: ResourceStore, res: StoredResource): CommunicationKeys {
  const endpoint = store.endpoint(res);
  const [primaryKey = '', secondaryKey = ''] = res.keys;
  return {
    primaryKey,
    secondaryKey,
    primaryConnectionString: communicationConnectionString(endpoint, primaryKey),
    secondaryConnectionString: communicationConnectionString(endpoint, secondaryKey),
  };
}

export function communicationRoutes(store: ResourceStore): Route[] {
  return [
    {
      method: 'GET',
      pattern: BASE,
      handler: (req, params) => {
        const g = guardArmRequest(store, req, params, { type: TYPE, action: 'read' });
        return g.ok ? json(200, serviceBody(store, g.res)) : g.response;
      },
    },
    {
      method: 'POST',
      pattern: `${BASE}/listKeys`,
      handler: (req, params) => {
        const g = guardArmRequest(store, req, params, { type: TYPE, action: 'listKeys' });
        return g.ok ? json(200, communicationKeys(store, g.res)) : g.response;
      },
    },
    {
      method: 'POST',
      pattern: `${BASE}/regenerateKey`,
      handler: (req, params) => {
        const g = guardArmRequest(store, req, params, { type: TYPE, action: 'regenerateKey' });
        if (!g.ok) return g.response;
        const body = tryReadJson(req);
        const parsed = body.ok ? regenerateBody.safeParse(body.value) : undefined;
        if (!parsed?.success) {
          return armError(
            400,
            'InvalidRequestContent',
            "The request content was invalid: 'keyType' must be 'Primary' or 'Secondary'.",
          );
        }
        const primary = parsed.data.keyType.toLowerCase() === 'primary';
        store.regenerate(g.res, primary ? 0 : 1);
        const keys = communicationKeys(store, g.res);
        // Only the regenerated half comes back (the official example has no secondary fields).
        return json(
          200,
          primary
            ? { primaryKey: keys.primaryKey, primaryConnectionString: keys.primaryConnectionString }
            : { secondaryKey: keys.secondaryKey, secondaryConnectionString: keys.secondaryConnectionString },
        );
      },
    },
  ];
}

function serviceBody(store: ResourceStore, res: StoredResource): unknown {
  return {
    id: store.id(res),
    name: res.name,
    type: 'Microsoft.Communication/CommunicationServices',
    location: res.location,
    tags: {},
    properties: {
      provisioningState: 'Succeeded',
      hostName: store.hostName(res),
      dataLocation: res.dataLocation,
      version: '0.2.0',
      linkedDomains: [],
    },
    systemData: { createdAt: res.createdAt, createdByType: 'User', lastModifiedByType: 'User' },
  };
}
