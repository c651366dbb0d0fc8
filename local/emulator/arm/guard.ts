/**
 * The checks real ARM makes before a provider sees a request, in ARM's order: authentication (401),
 * api-version (400), role-based authorisation on the scope (403), then existence (404).
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorRequest, EmulatorResponse } from '../types.js';
import { armError, header } from './http.js';
import { armId, type ResourceStore, type StoredResource } from './store.js';
import type { ArmAction, ArmResourceType } from './types.js';

export type GuardResult = { ok: true; res: StoredResource } | { ok: false; response: EmulatorResponse };

export interface GuardTarget {
  type: ArmResourceType;
  action: ArmAction;
  /** Child path under the resource for scope and action, e.g. `slots/staging` (action type `…/sites/slots`). */
  child?: { type: string; name: string };
}

/** Identity named in 403 messages when the bearer token is not a JWT with `appid`/`oid` claims. */
const fallbackClient = { appId: randomUUID(), objectId: randomUUID() };

export function guardArmRequest(
  store: ResourceStore,
  req: EmulatorRequest,
  params: Record<string, string>,
  target: GuardTarget,
): GuardResult {
  const authorization = header(req, 'authorization');
  if (!authorization) {
    return fail(
      armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing."),
    );
  }
  if (!/^Bearer\s+\S+/i.test(authorization)) {
    return fail(
      armError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
      ),
    );
  }
  if (!req.url.searchParams.get('api-version')) {
    return fail(
      armError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      ),
    );
  }
  const subscriptionId = params.sub ?? '';
  const resourceGroup = params.rg ?? '';
  const name = params.name ?? '';
  const res = store.get(target.type, subscriptionId, resourceGroup, name);
  let scope = armId(target.type, subscriptionId, resourceGroup, name);
  let actionType: string = target.type;
  if (target.child) {
    scope += `/${target.child.type}/${target.child.name}`;
    actionType += `/${target.child.type}`;
  }
  if (res && store.isForbidden(res, target.action)) {
    const action = target.action === 'read' ? `${actionType}/read` : `${actionType}/${target.action}/action`;
    const client = clientOf(authorization);
    return fail(
      armError(
        403,
        'AuthorizationFailed',
        `The client '${client.appId}' with object id '${client.objectId}' does not have authorization to perform ` +
          `action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, ` +
          'please refresh your credentials.',
      ),
    );
  }
  if (!res) return fail(notFound(target.type, name, resourceGroup));
  return { ok: true, res };
}

/** ARM's 404 for a resource (or child, e.g. `Microsoft.Web/sites/app/slots/staging`) that does not exist. */
export function notFound(
  typeAndName: string,
  name: string | undefined,
  resourceGroup: string,
): EmulatorResponse {
  const fullName = name === undefined ? typeAndName : `${typeAndName}/${name}`;
  return armError(
    404,
    'ResourceNotFound',
    `The Resource '${fullName}' under resource group '${resourceGroup}' was not found. ` +
      'For more details please go to https://aka.ms/ARMResourceNotFoundFix',
  );
}

function fail(response: EmulatorResponse): GuardResult {
  return { ok: false, response };
}

/** Reads `appid`/`azp` and `oid` from a JWT bearer token without verifying it (names only, for messages). */
function clientOf(authorization: string): { appId: string; objectId: string } {
  const token = authorization.replace(/^Bearer\s+/i, '');
  const payload = token.split('.')[1];
  if (!payload) return fallbackClient;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null) return fallbackClient;
    const record = claims as Record<string, unknown>;
    const appId =
      typeof record.appid === 'string'
        ? record.appid
        : typeof record.azp === 'string'
          ? record.azp
          : undefined;
    const objectId = typeof record.oid === 'string' ? record.oid : undefined;
    return { appId: appId ?? fallbackClient.appId, objectId: objectId ?? fallbackClient.objectId };
  } catch (error) {
    // Not a JWT (a static local token): name the emulator's stand-in identity instead.
    if (error instanceof SyntaxError) return fallbackClient;
    throw error;
  }
}
