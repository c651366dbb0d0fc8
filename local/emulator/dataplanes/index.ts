/**
 * The emulator's provider data planes: each checks a credential the way the real service does (valid → 200,
 * invalid → the service's own 401 body). Azure keys are read from the ARM module's current state.
 */
import type { ProviderKind } from '../../../rotation/kinds.js';
import type { ArmModule } from '../arm/index.js';
import type { EmulatorContext } from '../types.js';
import { acsRoutes } from './acs.js';
import { cognitiveDataRoutes } from './cognitive.js';
import { dataPlaneControlRoutes } from './control.js';
import { CredentialStore } from './credentials.js';
import { manualRoutes } from './manual.js';
import { siteRoutes } from './site.js';
import { type DataPlanesModule, MANUAL_DATA_PLANE_KINDS, type ManualDataPlaneKind } from './types.js';

export { ACS_MAX_SKEW_MS, verifyAcsRequest } from './acs.js';
export {
  ACS_SIGNED_HEADERS,
  acsAuthorizationHeader,
  computeAcsContentHash,
  computeAcsSignature,
} from './acs-hmac.js';
export * from './types.js';

function isManualKind(kind: string): kind is ManualDataPlaneKind {
  return (MANUAL_DATA_PLANE_KINDS as readonly string[]).includes(kind);
}

export function createDataPlanesModule(ctx: EmulatorContext, arm: ArmModule): DataPlanesModule {
  const credentials = new CredentialStore(ctx);
  const planes: DataPlanesModule = {
    routes: [
      ...cognitiveDataRoutes(ctx, arm),
      ...acsRoutes(ctx, arm),
      ...manualRoutes(ctx, credentials),
      ...siteRoutes(arm),
    ],
    controlRoutes: [],
    mintCredential: (kind) => credentials.mint(kind),
    seedCredential: (kind, value) => credentials.seed(kind, value),
    revokeCredential: (kind, ref) => credentials.revoke(kind, ref),
    credentials: (kind) => credentials.list(kind),
    isValid: (kind: ProviderKind, resourceOrProvider: string, value: string) => {
      if (kind === 'azure-cognitive-services') {
        return arm.isCurrentKey('Microsoft.CognitiveServices/accounts', resourceOrProvider, value);
      }
      if (kind === 'azure-communication') {
        return arm.isCurrentKey('Microsoft.Communication/communicationServices', resourceOrProvider, value);
      }
      if (isManualKind(kind)) return credentials.isLive(kind, value);
      throw new Error(`The emulator has no data plane for '${kind}'.`);
    },
    snapshot: () => ({
      // Ids, hints and state only: enough to see what changed.
      credentials: MANUAL_DATA_PLANE_KINDS.flatMap((kind) =>
        credentials.list(kind).map(({ id, last4, revoked }) => ({ kind, id, last4, revoked })),
      ),
    }),
  };
  planes.controlRoutes = dataPlaneControlRoutes(planes);
  return planes;
}
