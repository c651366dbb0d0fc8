/**
 * Restarting App Service / Function App sites. The propagator codes against {@link SiteRestarter}; the
 * SDK adapter drives `WebSiteManagementClient.webApps.restart` / `restartSlot` (`@azure/arm-appservice`).
 */
import { describeError, RotationError } from '../../rotation/errors.js';
import { parseSiteId } from './resource-id.js';

export interface RestartOptions {
  /** Deployment slot; overrides a slot named in the resource id. */
  slot?: string;
  /** Soft restart: apply configuration and restart only if needed (reloads Key Vault references). */
  soft: boolean;
  /** Ask ARM to block until the restart finished (used when no health URL tells us). */
  synchronous?: boolean;
}

export interface SiteRestarter {
  restart(resourceId: string, options: RestartOptions): Promise<void>;
}

/** The slice of `WebSiteManagementClient` the adapter needs (a real client satisfies it). */
export interface WebAppsRestartClient {
  webApps: {
    restart(
      resourceGroupName: string,
      name: string,
      options?: { softRestart?: boolean; synchronous?: boolean },
    ): Promise<void>;
    restartSlot(
      resourceGroupName: string,
      name: string,
      slot: string,
      options?: { softRestart?: boolean; synchronous?: boolean },
    ): Promise<void>;
  };
}

export interface SdkSiteRestarterDeps {
  /** e.g. the `azure/` client factory's lazy `webSiteClient(subscriptionId)`. */
  webSiteClient(subscriptionId: string): WebAppsRestartClient | Promise<WebAppsRestartClient>;
}

export function createSdkSiteRestarter(deps: SdkSiteRestarterDeps): SiteRestarter {
  return {
    async restart(resourceId, options) {
      const parsed = parseSiteId(resourceId);
      if (!parsed.ok) {
        throw new RotationError('ConfigInvalid', `not a Microsoft.Web/sites resource id: ${parsed.reason}`);
      }
      const { subscriptionId, resourceGroup, name } = parsed.site;
      const slot = options.slot ?? parsed.site.slot;
      const sdkOptions = { softRestart: options.soft, synchronous: options.synchronous ?? false };
      const label = slot === undefined || slot.toLowerCase() === 'production' ? name : `${name}/${slot}`;
      try {
        const client = await deps.webSiteClient(subscriptionId);
        if (slot === undefined || slot.toLowerCase() === 'production') {
          await client.webApps.restart(resourceGroup, name, sdkOptions);
        } else {
          await client.webApps.restartSlot(resourceGroup, name, slot, sdkOptions);
        }
      } catch (error) {
        throw restartError(label, error);
      }
    },
  };
}

/** Maps SDK failures to typed errors that say whether a retry may help; keeps status/code/message only. */
function restartError(site: string, error: unknown): RotationError {
  if (error instanceof RotationError) return error;
  const { status, message } = describeError(error);
  const text = `restart of ${site} failed${status === undefined ? '' : ` (HTTP ${status})`}: ${message}`;
  if (status === 404) return new RotationError('ResourceNotFound', text, { cause: error });
  if (status === 401 || status === 403) return new RotationError('PermissionDenied', text, { cause: error });
  if (status === undefined || status === 408 || status === 409 || status === 429 || status >= 500) {
    return new RotationError('AzureUnavailable', text, { cause: error, transient: true });
  }
  return new RotationError('BadRequest', text, { cause: error });
}
