import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedTopics, serveTopics } from './testing.js';

let served: ServedTopics;
let agent: Agent;
const key1 = randomBytes(32).toString('base64');

beforeAll(async () => {
  served = await serveTopics([{ name: 'rotations', key1 }]);
  agent = new Agent({ ca: served.caCert });
});
afterAll(async () => {
  agent.destroy();
  await served.stop();
});

function call(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${served.origin}${path}`, { method, agent, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const event = (id: string) => ({
  id,
  eventType: 'KeyVaultRotator.RotationCompleted',
  subject: '/vaults/kv/secrets/a',
  eventTime: new Date().toISOString(),
  dataVersion: '1.0',
  data: { runId: 'r1' },
});
const publish = (topic: string, body: unknown, headers: Record<string, string> = { 'aeg-sas-key': key1 }) =>
  call('POST', `/topics/${topic}/api/events?api-version=2018-01-01`, {
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('emulator topics module', () => {
  it('records events published with the topic key and serves them on the control API', async () => {
    served.topics.clearEvents();
    expect((await publish('rotations', [event('e1'), event('e2')])).status).toBe(200);
    const recorded = served.topics.events('Rotations');
    expect(recorded.map((record) => record.event.id)).toEqual(['e1', 'e2']);
    const listed = await call('GET', '/_emulator/topics/rotations/events');
    expect(listed.status).toBe(200);
    expect(JSON.parse(listed.body).value).toHaveLength(2);
    expect((await call('DELETE', '/_emulator/topics/rotations/events')).status).toBe(204);
    expect(served.topics.events('rotations')).toEqual([]);
  });

  it('refuses a missing or wrong key with 401', async () => {
    expect((await publish('rotations', [event('x')], {})).status).toBe(401);
    const wrong = await publish('rotations', [event('x')], { 'aeg-sas-key': 'not-the-key' });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body).error.code).toBe('Unauthorized');
    expect(served.topics.events('rotations').map((record) => record.event.id)).not.toContain('x');
  });

  it('refuses malformed publishes with 400 and records nothing', async () => {
    served.topics.clearEvents();
    const { id: _id, ...noId } = event('y');
    for (const body of [event('single'), [], [noId], [{ ...event('t'), eventTime: 'soon' }], 'not json']) {
      const answer =
        body === 'not json'
          ? await call('POST', '/topics/rotations/api/events?api-version=2018-01-01', {
              headers: { 'aeg-sas-key': key1 },
              body: '{',
            })
          : await publish('rotations', body);
      expect(answer.status).toBe(400);
    }
    const noVersion = await call('POST', '/topics/rotations/api/events', {
      headers: { 'aeg-sas-key': key1 },
      body: JSON.stringify([event('v')]),
    });
    expect(noVersion.status).toBe(400);
    expect(served.topics.events('rotations')).toEqual([]);
  });

  it('creates an undeclared topic on first publish, adopting its key', async () => {
    const key = randomBytes(16).toString('hex');
    expect((await publish('adhoc-topic', [event('a1')], { 'aeg-sas-key': key })).status).toBe(200);
    expect((await publish('adhoc-topic', [event('a2')], { 'aeg-sas-key': 'other' })).status).toBe(401);
    expect(served.topics.events('adhoc-topic').map((record) => record.event.id)).toEqual(['a1']);
  });

  it('declares a topic through the control API and reports its endpoint', async () => {
    const answer = await call('PUT', '/_emulator/topics/declared', {
      body: JSON.stringify({ key1: 'k-one' }),
    });
    expect(answer.status).toBe(200);
    const info = JSON.parse(answer.body);
    expect(info).toMatchObject({
      name: 'declared',
      key1: 'k-one',
      endpoint: `${served.origin}/topics/declared/api/events`,
    });
    expect(typeof info.key2).toBe('string');
    expect((await publish('declared', [event('d1')], { 'aeg-sas-key': info.key2 })).status).toBe(200);
    expect((await call('PUT', '/_emulator/topics/declared', { body: '[1]' })).status).toBe(400);
  });
});
