/** Parses ARM ids of App Service / Function App sites (and their deployment slots). */

export interface SiteId {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** Deployment slot named in the id (`…/sites/<name>/slots/<slot>`), if any. */
  slot?: string;
}

const SITE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Web\/sites\/([^/]+)(?:\/slots\/([^/]+))?\/?$/i;

export function parseSiteId(resourceId: string): { ok: true; site: SiteId } | { ok: false; reason: string } {
  const match = SITE_ID.exec(resourceId.trim());
  if (!match) {
    return {
      ok: false,
      reason:
        'expected /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Web/sites/<name>[/slots/<slot>]',
    };
  }
  const [, subscriptionId, resourceGroup, name, slot] = match;
  const site: SiteId = { subscriptionId: subscriptionId!, resourceGroup: resourceGroup!, name: name! };
  if (slot !== undefined) site.slot = slot;
  return { ok: true, site };
}

/** The production-slot id of a site, as Azure spells it. */
export function siteResourceId(site: SiteId): string {
  return `/subscriptions/${site.subscriptionId}/resourceGroups/${site.resourceGroup}/providers/Microsoft.Web/sites/${site.name}`;
}

/** `production` when no slot is given (Azure's name for the main slot). */
export function slotName(slot: string | undefined): string {
  return slot === undefined || slot.toLowerCase() === 'production' ? 'production' : slot;
}

/** Case-insensitive identity of one slot of one site (ARM names are case-insensitive). */
export function siteSlotKey(site: SiteId, slot: string | undefined): string {
  return `${site.subscriptionId}/${site.resourceGroup}/${site.name}/${slotName(slot)}`.toLowerCase();
}
