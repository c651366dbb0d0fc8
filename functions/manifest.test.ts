import azureFunctions from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { resetRotatorApp, setRotatorApp } from '../composition/instance.js';
import { createFakeApp } from '../test/support/fake-app.js';
import { findDefinitionProblems, isHttpDefinition } from './definition.js';
import { functionDefinitions } from './definitions.js';
import { functionManifest } from './manifest.js';

afterEach(() => resetRotatorApp());

describe('functions/manifest.ts (what Azure registers)', () => {
  it('registers every function of definitions.ts with the same name and trigger', () => {
    const shape = (list: typeof functionDefinitions) => list.map(({ name, trigger }) => ({ name, trigger }));
    expect(shape(functionManifest)).toEqual(shape(functionDefinitions));
    expect(findDefinitionProblems(functionManifest)).toEqual([]);
  });

  it("loads a function's module on the first invocation and hands it the call", async () => {
    setRotatorApp(createFakeApp().app);
    const entry = functionManifest.find((d) => d.name === 'getRun');
    if (!entry || !isHttpDefinition(entry)) throw new Error('getRun is an HTTP function');
    const id = 'ab'.repeat(16);
    const request = new azureFunctions.HttpRequest({
      method: 'GET',
      url: `http://127.0.0.1:7071/api/runs/${id}`,
      params: { id },
    });
    const context = new azureFunctions.InvocationContext({ functionName: 'getRun' });
    const response = await entry.handler(request, context);
    expect(response).toMatchObject({ status: 404 });
  });
});
