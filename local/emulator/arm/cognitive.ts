/** ARM routes of `Microsoft.CognitiveServices/accounts`: get, listKeys, regenerateKey. */
import { z } from 'zod';
import type { Route } from '../types.js';
import { guardArmRequest } from './guard.js';
import { armError, json, tryReadJson } from './http.js';
import type { ResourceStore, StoredResource } from './store.js';

const TYPE = 'Microsoft.CognitiveServices/accounts';
const BASE = `/subscriptions/:sub/resourceGroups/:rg/providers/${TYPE}/:name`;

/** The enum is `Key1 | Key2`; ARM's enum binding ignores case, so `key1` is accepted too. */
const regenerateBody = z.object({ keyName: z.string().regex(/^key[12]$/i) });

export function cognitiveRoutes(store: ResourceStore): Route[] {
  const keysBody = (res: StoredResource) => ({ key1: res.keys[0], key2: res.keys[1] });
  return [
    {
      method: 'GET',
      pattern: BASE,
      handler: (req, params) => {
        const g = guardArmRequest(store, req, params, { type: TYPE, action: 'read' });
        return g.ok ? json(200, accountBody(store, g.res)) : g.response;
      },
    },
    {
      method: 'POST',
      pattern: `${BASE}/listKeys`,
      handler: (req, params) => {
        const g = guardArmRequest(store, req, params, { type: TYPE, action: 'listKeys' });
        return g.ok ? json(200, keysBody(g.res)) : g.response;
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
            "The request content was invalid: 'keyName' must be 'Key1' or 'Key2'.",
          );
        }
        store.regenerate(g.res, parsed.data.keyName.toLowerCase() === 'key1' ? 0 : 1);
        return json(200, keysBody(g.res));
      },
    },
  ];
}

function accountBody(store: ResourceStore, res: StoredResource): unknown {
  const endpoint = store.endpoint(res);
  return {
    id: store.id(res),
    name: res.name,
    type: TYPE,
    etag: `"${res.generation.toString(16).padStart(8, '0')}-0000-0000-0000-000000000000"`,
    location: res.location,
    kind: res.kind,
    sku: { name: 'S0' },
    tags: {},
    properties: {
      endpoint,
      endpoints:
        res.kind === 'OpenAI' ? { 'OpenAI Language Model Instance API': endpoint } : { Speech: endpoint },
      provisioningState: 'Succeeded',
      customSubDomainName: res.name.toLowerCase(),
      publicNetworkAccess: 'Enabled',
      disableLocalAuth: false,
      dateCreated: res.createdAt,
    },
    systemData: { createdAt: res.createdAt, createdByType: 'User', lastModifiedByType: 'User' },
  };
}
