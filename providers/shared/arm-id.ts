/**
 * ARM resource ids of the accounts whose keys we rotate:
 * `/subscriptions/{sub}/resourceGroups/{rg}/providers/{Namespace}/{type}/{name}`.
 * Segment names (`subscriptions`, `resourceGroups`, `providers`) and the resource type are matched
 * case-insensitively, as ARM does; names keep the caller's spelling.
 */
import { z } from 'zod';
import { ERROR_CODES, RotationError } from '../../rotation/errors.js';

export interface ArmResourceId {
  /** Canonical spelling: `/subscriptions/…/resourceGroups/…/providers/<Namespace>/<type>/<name>`. */
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  /** `Microsoft.CognitiveServices/accounts` as the caller expected it (canonical casing). */
  type: string;
  name: string;
}

/** Characters ARM allows in subscription ids, resource group names and account names. */
const SEGMENT = /^[A-Za-z0-9._()-]+$/;

/** Why `value` is not an ARM id of `expectedType`; undefined when it is one. */
export function armIdProblem(value: string, expectedType: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return 'is empty';
  const segments = trimmed.replace(/^\/+/, '').replace(/\/+$/, '').split('/');
  const [expectedNamespace, expectedTypeName] = expectedType.split('/');
  const shape = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/${expectedType}/{name}`;
  if (segments.length !== 8) return `must look like ${shape}`;
  const [subs, sub, rgs, rg, providers, namespace, type, name] = segments as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (subs.toLowerCase() !== 'subscriptions' || rgs.toLowerCase() !== 'resourcegroups') {
    return `must look like ${shape}`;
  }
  if (providers.toLowerCase() !== 'providers') return `must look like ${shape}`;
  if (
    namespace.toLowerCase() !== expectedNamespace?.toLowerCase() ||
    type.toLowerCase() !== expectedTypeName?.toLowerCase()
  ) {
    return `names a ${namespace}/${type} resource; expected ${expectedType}`;
  }
  for (const [label, segment] of [
    ['subscription id', sub],
    ['resource group', rg],
    ['resource name', name],
  ] as const) {
    if (!SEGMENT.test(segment)) return `has an invalid ${label} '${segment}'`;
  }
  return undefined;
}

/** Parses an ARM id of `expectedType`; throws `RotationError(ConfigInvalid)` naming the problem. */
export function parseArmResourceId(value: string, expectedType: string): ArmResourceId {
  const problem = armIdProblem(value, expectedType);
  if (problem !== undefined) {
    throw new RotationError(ERROR_CODES.configInvalid, `resourceId '${value}' ${problem}`, {
      details: [{ path: 'resourceId', message: problem }],
    });
  }
  const segments = value.trim().replace(/^\/+/, '').replace(/\/+$/, '').split('/');
  const subscriptionId = segments[1]!;
  const resourceGroup = segments[3]!;
  const name = segments[7]!;
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${expectedType}/${name}`,
    subscriptionId,
    resourceGroup,
    type: expectedType,
    name,
  };
}

/** A zod string that must be an ARM id of `expectedType` (for provider settings). */
export function armIdSchema(expectedType: string) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = armIdProblem(value, expectedType);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `resourceId ${problem}` });
    })
    .describe(`ARM id of the ${expectedType} resource`);
}
