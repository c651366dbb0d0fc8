import { describe, expect, it } from 'vitest';
import type { HttpFunctionDefinition } from '../../functions/definition.js';
import { parseHostJson, parseTimeSpan, readHostConfig } from './config.js';
import { hasValidKey, keysEqual, presentedKey } from './keys.js';
import { decodeQueueMessageText, encodeQueueMessage, parseQueuePayload } from './queue-message.js';
import { redactUrl } from './respond.js';
import { compileRoutes, matchRoutes } from './routes.js';

describe('function key comparison', () => {
  it('compares keys of any length without throwing', () => {
    expect(keysEqual('abc', 'abc')).toBe(true);
    expect(keysEqual('abc', 'abd')).toBe(false);
    expect(keysEqual('short', 'a-much-longer-key')).toBe(false);
    expect(keysEqual('', 'x')).toBe(false);
  });

  it('takes the header before the query, and requires a key', () => {
    const query = new URLSearchParams('code=q');
    expect(presentedKey({ 'x-functions-key': 'h' }, query)).toBe('h');
    expect(presentedKey({}, query)).toBe('q');
    expect(presentedKey({}, new URLSearchParams())).toBeUndefined();
    expect(hasValidKey({}, new URLSearchParams(), 'k')).toBe(false);
    expect(hasValidKey({}, new URLSearchParams('code=k'), 'k')).toBe(true);
  });
});

describe('redactUrl', () => {
  it('replaces every code value, whatever its case or encoding', () => {
    expect(redactUrl('/api/x?code=abc&vault=v')).toBe('/api/x?code=REDACTED&vault=v');
    expect(redactUrl('/api/x?vault=v&CODE=abc&code=def')).toBe('/api/x?vault=v&CODE=REDACTED&code=REDACTED');
    expect(redactUrl('/api/x?%63ode=abc')).toBe('/api/x?%63ode=REDACTED');
    expect(redactUrl('/api/x?code')).toBe('/api/x?code=REDACTED');
    expect(redactUrl('/api/x?codes=1&encode=2')).toBe('/api/x?codes=1&encode=2');
    expect(redactUrl('/api/x')).toBe('/api/x');
  });
});

describe('routes', () => {
  const definition = (name: string, route: string, methods: HttpFunctionDefinition['trigger']['methods']) =>
    ({
      name,
      trigger: { type: 'http', methods, route, authLevel: 'function' },
      handler: () => ({}),
    }) satisfies HttpFunctionDefinition;
  const routes = compileRoutes([
    definition('getRun', 'runs/{id}', ['GET']),
    definition('active', 'runs/active', ['GET']),
    definition('propagate', 'runs/{id}/propagate', ['POST']),
    definition('files', 'files/{*path}', ['GET']),
  ]);

  it('matches params, decoded, most specific first', () => {
    expect(matchRoutes(routes, 'runs/active').map((m) => m.route.definition.name)).toEqual([
      'active',
      'getRun',
    ]);
    expect(matchRoutes(routes, 'runs/a%2Fb')[0]?.params).toEqual({ id: 'a/b' });
    expect(matchRoutes(routes, 'RUNS/x/Propagate')[0]?.params).toEqual({ id: 'x' });
    expect(matchRoutes(routes, 'files/a/b/c')[0]?.params).toEqual({ path: 'a/b/c' });
  });

  it('does not match missing, extra, empty or undecodable segments', () => {
    expect(matchRoutes(routes, 'runs')).toEqual([]);
    expect(matchRoutes(routes, 'runs/x/y')).toEqual([]);
    expect(matchRoutes(routes, 'runs//propagate')).toEqual([]);
    expect(matchRoutes(routes, 'runs/%E0%A4%A')).toEqual([]);
  });
});

describe('host.json', () => {
  it('reads the project host.json', () => {
    expect(readHostConfig()).toEqual({
      routePrefix: 'api',
      functionTimeoutSeconds: 600,
      queues: {
        maxDequeueCount: 5,
        visibilityTimeoutSeconds: 30,
        batchSize: 8,
        newBatchThreshold: 8,
        maxPollingIntervalSeconds: 2,
      },
    });
  });

  it("applies Azure's defaults and rejects bad values", () => {
    expect(parseHostJson({ version: '2.0' }).queues).toEqual({
      maxDequeueCount: 5,
      visibilityTimeoutSeconds: 0,
      batchSize: 16,
      newBatchThreshold: 8,
      maxPollingIntervalSeconds: 60,
    });
    expect(() => parseHostJson({ extensions: { queues: { maxPollingInterval: '00:00:00' } } })).toThrow(
      /extensions.queues.maxPollingInterval: must be at least/,
    );
    expect(() => parseHostJson({ extensions: { queues: { visibilityTimeout: '30s' } } })).toThrow(
      /host.json is invalid: extensions.queues.visibilityTimeout/,
    );
    expect(parseTimeSpan('1.00:00:01.5')).toBe(86_401.5);
  });
});

describe('queue message encoding', () => {
  it('round-trips JSON through base64 and passes plain text through', () => {
    const text = decodeQueueMessageText(encodeQueueMessage({ runId: 'r1', n: 1 }));
    expect(text).toBe('{"runId":"r1","n":1}');
    expect(parseQueuePayload(text!)).toEqual({ runId: 'r1', n: 1 });
    expect(parseQueuePayload('plain')).toBe('plain');
    expect(decodeQueueMessageText(encodeQueueMessage('héllo'))).toBe('héllo');
  });

  it('refuses text that is not base64', () => {
    expect(decodeQueueMessageText('{"runId":"r1"}')).toBeUndefined();
    expect(decodeQueueMessageText('abc')).toBeUndefined();
  });
});
