/**
 * Replays the official azure-rest-api-specs examples in test/fixtures/conformance/arm/ (see the README
 * that came with them): build the request from `parameters`, expect 200 and the example's key set.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createArmModule, type ResourceDeclaration } from './index.js';
import { dispatch, testContext } from './testing.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/conformance/arm');

interface Example {
  parameters: Record<string, unknown> & {
    'api-version': string;
    subscriptionId: string;
    resourceGroupName: string;
    accountName?: string;
    communicationServiceName?: string;
    parameters?: object;
  };
  responses: { '200': { body: Record<string, unknown> } };
}

/**
 * The Communication listKeys example shows only the two keys (placeholders); the service's schema also has
 * both connection strings, which the regenerate example shows. These are the only extra keys allowed.
 */
const SCHEMA_EXTRAS: Record<string, string[]> = {
  'communication-list-keys.json': ['primaryConnectionString', 'secondaryConnectionString'],
};

function requestOf(file: string, example: Example): { path: string; declaration: ResourceDeclaration } {
  const p = example.parameters;
  const operation = file.includes('regenerate') ? 'regenerateKey' : 'listKeys';
  const base = `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroupName}/providers`;
  const query = `?api-version=${encodeURIComponent(p['api-version'])}`;
  if (p.accountName) {
    return {
      path: `${base}/Microsoft.CognitiveServices/accounts/${p.accountName}/${operation}${query}`,
      declaration: {
        type: 'Microsoft.CognitiveServices/accounts',
        subscriptionId: p.subscriptionId,
        // Declared in another casing than the example: ARM matches case-insensitively.
        resourceGroup: p.resourceGroupName.toLowerCase(),
        name: p.accountName,
      },
    };
  }
  const name = p.communicationServiceName ?? '';
  return {
    path: `${base}/Microsoft.Communication/communicationServices/${name}/${operation}${query}`,
    declaration: {
      type: 'Microsoft.Communication/communicationServices',
      subscriptionId: p.subscriptionId,
      resourceGroup: p.resourceGroupName.toUpperCase(),
      name,
    },
  };
}

const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

describe('ARM conformance examples', () => {
  it('has the four example files', () => {
    expect(files.sort()).toEqual([
      'cognitiveservices-list-keys.json',
      'cognitiveservices-regenerate-key.json',
      'communication-list-keys.json',
      'communication-regenerate-key.json',
    ]);
  });

  for (const file of files) {
    it(`${file}: 200 with the example's key set`, async () => {
      const example = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as Example;
      const { path: requestPath, declaration } = requestOf(file, example);
      const { ctx } = testContext();
      const arm = createArmModule(ctx, [declaration]);
      const res = await dispatch(arm.routes, {
        method: 'POST',
        path: requestPath,
        headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
        body: example.parameters.parameters,
      });
      expect(res.status).toBe(200);
      const expected = Object.keys(example.responses['200'].body);
      const actual = Object.keys(res.json() as object);
      expect(actual.sort()).toEqual([...expected, ...(SCHEMA_EXTRAS[file] ?? [])].sort());
    });
  }
});
