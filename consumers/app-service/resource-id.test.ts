import { describe, expect, it } from 'vitest';
import { parseSiteId, siteSlotKey } from './resource-id.js';

describe('parseSiteId', () => {
  it('parses a site id and a slot id case-insensitively', () => {
    expect(parseSiteId('/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app')).toEqual({
      ok: true,
      site: { subscriptionId: 's1', resourceGroup: 'rg', name: 'app' },
    });
    const slot = parseSiteId(
      '/SUBSCRIPTIONS/s1/resourcegroups/rg/providers/microsoft.web/Sites/app/slots/blue/',
    );
    expect(slot).toEqual({
      ok: true,
      site: { subscriptionId: 's1', resourceGroup: 'rg', name: 'app', slot: 'blue' },
    });
  });

  it('rejects other resource types and partial ids', () => {
    for (const id of [
      '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a',
      '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites',
      'app',
      '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app/config/web',
    ]) {
      expect(parseSiteId(id).ok).toBe(false);
    }
  });

  it('keys production and named slots apart, case-insensitively', () => {
    const site = { subscriptionId: 'S1', resourceGroup: 'RG', name: 'App' };
    expect(siteSlotKey(site, undefined)).toBe(siteSlotKey(site, 'Production'));
    expect(siteSlotKey(site, 'Blue')).toBe('s1/rg/app/blue');
  });
});
