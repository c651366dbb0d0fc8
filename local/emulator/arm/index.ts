/**
 * The emulator's ARM management plane: Cognitive Services accounts, Communication services and Web sites,
 * with real key state (regenerating a key invalidates the old value everywhere in the emulator).
 */
import type { EmulatorContext } from '../types.js';
import { cognitiveRoutes } from './cognitive.js';
import { communicationKeys, communicationRoutes } from './communication.js';
import { armControlRoutes } from './control.js';
import { fingerprint, parseCommunicationConnectionString } from './keys.js';
import { ResourceStore, type StoredResource } from './store.js';
import type { ArmModule, ArmResourceType, ResourceDeclaration } from './types.js';
import { RestartLog, webRoutes } from './web.js';

export { communicationConnectionString, parseCommunicationConnectionString } from './keys.js';
export * from './types.js';

export function createArmModule(ctx: EmulatorContext, resources: ResourceDeclaration[]): ArmModule {
  const store = new ResourceStore(ctx);
  const restartLog = new RestartLog();

  const mustGet = (resourceId: string, type: ArmResourceType): StoredResource => {
    const res = store.byId(resourceId);
    if (!res || res.type !== type) throw new Error(`No ${type} resource declared with id '${resourceId}'.`);
    return res;
  };
  const resolve = (type: ArmResourceType, idOrName: string): StoredResource | undefined => {
    const res = idOrName.startsWith('/') ? store.byId(idOrName) : store.findByName(type, idOrName);
    return res?.type === type ? res : undefined;
  };

  const arm: ArmModule = {
    routes: [...cognitiveRoutes(store), ...communicationRoutes(store), ...webRoutes(store, ctx, restartLog)],
    controlRoutes: [],
    declare: (decl) => store.describe(store.declare(decl)),
    setForbidden: (resourceId, forbidden) => {
      const res = store.byId(resourceId);
      if (!res) throw new Error(`No resource declared with id '${resourceId}'.`);
      store.setForbidden(res, forbidden);
    },
    cognitiveKeys: (resourceId) => {
      const res = mustGet(resourceId, 'Microsoft.CognitiveServices/accounts');
      return { key1: res.keys[0] ?? '', key2: res.keys[1] ?? '' };
    },
    communicationKeys: (resourceId) =>
      communicationKeys(store, mustGet(resourceId, 'Microsoft.Communication/communicationServices')),
    restarts: () => restartLog.list(),
    findAccount: (type, name) => {
      const res = store.findByName(type, name);
      return res ? { id: store.id(res), name: res.name, type: res.type, kind: res.kind } : undefined;
    },
    isCurrentKey: (type, idOrName, value) => {
      const res = resolve(type, idOrName);
      if (!res || res.keys.length === 0) return false;
      if (type === 'Microsoft.Communication/communicationServices' && /(^|;)\s*endpoint=/i.test(value)) {
        const parsed = parseCommunicationConnectionString(value);
        if (!parsed || !sameEndpoint(parsed.endpoint, store.endpoint(res))) return false;
        return (res.keys as string[]).includes(parsed.accessKey);
      }
      return (res.keys as string[]).includes(value);
    },
    currentKeysByName: (type, name) => {
      const res = store.findByName(type, name);
      return res ? [...res.keys] : undefined;
    },
    list: () => store.all().map((res) => store.describe(res)),
    snapshot: () => ({
      resources: store.all().map((res) => ({
        ...store.describe(res),
        kind: res.kind,
        forbidden: res.forbidden === 'all' ? true : [...res.forbidden].sort(),
        // Fingerprints, not values: enough to tell whether a key changed.
        keys: res.keys.map(fingerprint),
        generation: res.generation,
      })),
      restarts: restartLog.list(),
    }),
  };
  arm.controlRoutes = armControlRoutes(arm);
  for (const decl of resources) arm.declare(decl);
  return arm;
}

function sameEndpoint(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().toLowerCase().replace(/\/+$/, '');
  return norm(a) === norm(b);
}
