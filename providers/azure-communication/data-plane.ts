/**
 * The ACS call that proves an access key works: an HMAC-signed `GET {endpoint}emails/operations/{id}`
 * (read-only; the Email client polls it). ACS checks the signature before it routes, so a 401/403 means the
 * key is bad, and a 2xx — or a 404 for an operation id it does not know — means the key authenticated.
 */
import { randomUUID } from 'node:crypto';
import { signAcsRequest } from '../shared/acs-hmac.js';
import { type ProbeRequest, withTrailingSlash } from '../shared/http-probe.js';

export const ACS_PROBE_API_VERSION = '2023-03-31';

export function communicationProbeRequest(input: {
  endpoint: string;
  accessKey: string;
  now: Date;
}): ProbeRequest {
  const url = new URL(`emails/operations/${randomUUID()}`, withTrailingSlash(input.endpoint));
  url.searchParams.set('api-version', ACS_PROBE_API_VERSION);
  const headers = signAcsRequest({ method: 'GET', url, accessKey: input.accessKey, date: input.now });
  return {
    method: 'GET',
    url,
    headers,
    label: 'Communication Services signed call',
    acceptedStatuses: [404],
  };
}
