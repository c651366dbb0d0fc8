/**
 * Issue 10, hostile input: every case of `test/fixtures/hostile/corpus.json` (malformed JSON, wrong
 * schemas, oversized bodies, unicode and path-traversal names, names beyond Key Vault's rules, events
 * forged for another vault or subject, wrong content types, missing/invalid keys, table-filter injection)
 * is sent to the local host. Each gets the expected 4xx — a JSON error body, never a stack trace — or,
 * for an Event Grid delivery, an acknowledgement and a logged rejection; and nothing changes: the
 * emulator's state snapshot, the journal and the run queue are the same after as before.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountId, type ReliabilityStack, RG, startReliabilityStack, VAULT } from './support/stack.js';

interface CorpusRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string;
  repeat?: { template: string; char: string; count: number };
  nest?: { depth: number };
  key?: 'none' | 'wrong' | 'wrong-query' | 'empty' | 'prefix' | 'upper' | 'huge';
}

interface CorpusCase {
  id: string;
  category: string;
  request: CorpusRequest;
  expect: { status: number | number[]; code?: string; logged?: string };
}

const corpus = JSON.parse(
  readFileSync(new URL('../fixtures/hostile/corpus.json', import.meta.url), 'utf8'),
) as { cases: CorpusCase[] };
const SECRET = 'hostile-openai-key';
const MANUAL = 'hostile-groq-key';
const ACCOUNT = accountId('oai-hostile');
const STACK_TRACE = /\n\s+at |\bat \S+ \(|\.(ts|js|mjs):\d+:\d+|node_modules/;
let stack: ReliabilityStack;
let places: Record<string, string>;
const tally = { cases: 0, rejected4xx: 0, loggedRejections: 0, stateChanges: 0 };

beforeAll(async () => {
  stack = await startReliabilityStack({
    resources: [{ type: 'Microsoft.CognitiveServices/accounts', resourceGroup: RG, name: 'oai-hostile' }],
    config: {
      vaults: [{ name: VAULT }],
      secrets: {
        [SECRET]: { provider: 'azure-cognitive-services', settings: { resourceId: ACCOUNT } },
        [`${SECRET}-2`]: { provider: 'azure-cognitive-services', settings: { resourceId: ACCOUNT } },
        [MANUAL]: { provider: 'groq' },
      },
    },
  });
  const { key1 } = stack.emulator.control.arm.cognitiveKeys(ACCOUNT);
  for (const name of [SECRET, `${SECRET}-2`]) {
    await stack.secrets().setSecret(name, key1, { tags: { CredentialId: 'key1' } });
  }
  await stack.secrets().setSecret(MANUAL, stack.emulator.control.dataPlanes.mintCredential('groq').value);
  // One finished run, so injected filters have something they must not reveal.
  const rotated = await stack.api(`/api/secrets/${SECRET}/rotate`, { body: { reason: 'corpus baseline' } });
  expect(rotated.status, rotated.text).toBe(200);
  const current = await stack.secrets().getSecret(SECRET);
  places = {
    secret: SECRET,
    manual: MANUAL,
    vault: VAULT,
    version: current.properties.version!,
    runId: (rotated.json() as { id: string }).id,
  };
}, 60_000);

afterAll(async () => {
  if (tally.cases > 0) {
    console.log(
      `\nHostile corpus: ${tally.cases} cases → clear 4xx: ${tally.rejected4xx}, acknowledged with a logged ` +
        `rejection: ${tally.loggedRejections}, state changes: ${tally.stateChanges}, ` +
        `invariant violations: ${stack.invariants.violations().length}`,
    );
  }
  await stack?.stop();
});

function fill(value: string, eventId: string): string {
  return value.replace(/\{(\w+)\}/g, (match, name: string) =>
    name === 'eventId' ? eventId : (places[name] ?? match),
  );
}

function fillDeep(value: unknown, eventId: string): unknown {
  if (typeof value === 'string') return fill(value, eventId);
  if (Array.isArray(value)) return value.map((v) => fillDeep(v, eventId));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [fill(k, eventId), fillDeep(v, eventId)]),
    );
  }
  return value;
}

function bodyOf(request: CorpusRequest, eventId: string): string | undefined {
  if (request.json !== undefined) return JSON.stringify(fillDeep(request.json, eventId));
  if (request.body !== undefined) return fill(request.body, eventId);
  if (request.repeat)
    return request.repeat.template.replace('%s', request.repeat.char.repeat(request.repeat.count));
  if (request.nest) return `{"reason":${'['.repeat(request.nest.depth)}${']'.repeat(request.nest.depth)}}`;
  return undefined;
}

function keyHeaders(request: CorpusRequest): { headers: Record<string, string>; query: string } {
  const key = stack.functionKey;
  switch (request.key) {
    case undefined:
      return { headers: { 'x-functions-key': key }, query: '' };
    case 'none':
      return { headers: {}, query: '' };
    case 'wrong':
      return { headers: { 'x-functions-key': randomBytes(24).toString('base64url') }, query: '' };
    case 'wrong-query':
      return { headers: {}, query: `code=${randomBytes(24).toString('base64url')}` };
    case 'empty':
      return { headers: { 'x-functions-key': '' }, query: '' };
    case 'prefix':
      return { headers: { 'x-functions-key': key.slice(0, key.length - 1) }, query: '' };
    case 'upper':
      return {
        headers: { 'x-functions-key': key.toUpperCase() === key ? key.toLowerCase() : key.toUpperCase() },
        query: '',
      };
    case 'huge':
      return { headers: { 'x-functions-key': 'k'.repeat(10_000) }, query: '' };
  }
}

/**
 * The request exactly as the case says: the body as bytes, so no content type is added that the case
 * does not name (fetch labels a string body text/plain).
 */
async function send(method: string, path: string, headers: Record<string, string>, body: string | undefined) {
  const response = await fetch(`${stack.front.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: Buffer.from(body, 'utf8') }),
  });
  const text = await response.text();
  stack.answers.push(text);
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: () => JSON.parse(text) as unknown,
  };
}

/** Everything a request could change: emulator state (but its clock), journal rows, queued messages. */
async function snapshot(): Promise<string> {
  const { clock: _clock, ...state } = stack.emulator.control.state();
  const rows = (await stack.journalRows()).map((row) => JSON.stringify(row)).sort();
  const queued = await Promise.all([stack.queueDepth(), stack.queueDepth('rotation-runs-poison')]);
  return JSON.stringify({ state, rows, queued });
}

describe('hostile input corpus', () => {
  it('holds at least 60 cases', () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(corpus.cases.map((c) => c.id)).size).toBe(corpus.cases.length);
  });

  it.each(corpus.cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const eventId = randomUUID();
    const before = await snapshot();
    const logFrom = stack.logLines.length;
    const { headers: auth, query } = keyHeaders(c.request);
    let path = fill(c.request.path, eventId);
    if (query) path += `${path.includes('?') ? '&' : '?'}${query}`;
    const body = bodyOf(c.request, eventId);
    const headers = {
      ...auth,
      ...Object.fromEntries(Object.entries(c.request.headers ?? {}).map(([k, v]) => [k, fill(v, eventId)])),
    };
    const answer = await send(c.request.method, path, headers, body);

    const statuses = Array.isArray(c.expect.status) ? c.expect.status : [c.expect.status];
    expect(statuses, `${answer.status} ${answer.text.slice(0, 300)}`).toContain(answer.status);
    expect(answer.text).not.toMatch(STACK_TRACE);
    if (answer.status >= 400) {
      const error = (answer.json() as { error?: { code?: unknown; message?: unknown } }).error;
      expect(typeof error?.code, answer.text.slice(0, 300)).toBe('string');
      expect(typeof error?.message).toBe('string');
      if (c.expect.code) expect(error?.code).toBe(c.expect.code);
      if (answer.status === 405) expect(answer.headers.get('allow')).toBeTruthy();
      tally.rejected4xx += 1;
    }
    if (c.expect.logged) {
      // Event Grid retries anything but a 2xx: a permanent problem is acknowledged and logged instead.
      await expect
        .poll(
          () =>
            stack.logLines
              .slice(logFrom)
              .some((line) => (JSON.parse(line) as { message: string }).message.includes(c.expect.logged!)),
          { timeout: 5_000 },
        )
        .toBe(true);
      tally.loggedRejections += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 30)); // anything it queued would show by now
    const after = await snapshot();
    if (after !== before) tally.stateChanges += 1;
    expect(after, 'emulator state, journal and queue unchanged').toBe(before);
    tally.cases += 1;
  });

  it('no managed secret ever served an invalid value', () => {
    expect(stack.invariants.violations()).toEqual([]);
  });
});
