import { describe, expect, it } from 'vitest';
import type { EmulatorResponse } from '../types.js';
import { Router } from './router.js';

const ok = (): EmulatorResponse => ({ status: 200 });

function router(): Router {
  return new Router()
    .add({ method: 'GET', pattern: '/secrets/:name/versions', handler: ok }, 'kv')
    .add({ method: 'GET', pattern: '/secrets/:name/:version?', handler: ok }, 'kv')
    .add({ method: 'PUT', pattern: '/secrets/:name', handler: ok }, 'kv')
    .add({ method: 'POST', pattern: '/acs/:name/emails:send', handler: ok }, 'data');
}

describe('Router', () => {
  it('matches literals case-insensitively and decodes params per segment', () => {
    const match = router().match('get', '/SECRETS/my%2Dname/Versions');
    expect(match).toMatchObject({ found: true, route: { pattern: '/secrets/:name/versions' } });
    expect(match.found && match.params).toEqual({ name: 'my-name' });
  });

  it('lets an optional last param be absent or empty (trailing slash)', () => {
    const r = router();
    expect(r.match('GET', '/secrets/a')).toMatchObject({ found: true, params: { name: 'a', version: '' } });
    expect(r.match('GET', '/secrets/a/')).toMatchObject({ found: true, params: { name: 'a', version: '' } });
    expect(r.match('GET', '/secrets/a/v1')).toMatchObject({
      found: true,
      params: { name: 'a', version: 'v1' },
    });
  });

  it('retries without a trailing slash when nothing matched', () => {
    expect(router().match('PUT', '/secrets/a/')).toMatchObject({ found: true, params: { name: 'a' } });
  });

  it('treats a segment with a colon inside as a literal', () => {
    expect(router().match('POST', '/acs/x/emails:send')).toMatchObject({
      found: true,
      route: { kind: 'data' },
    });
  });

  it('reports 405 with the allowed methods, 404, and malformed escapes', () => {
    expect(router().match('DELETE', '/secrets/a')).toEqual({
      found: false,
      reason: 'method-not-allowed',
      allow: ['GET', 'PUT'],
      kind: 'kv',
    });
    expect(router().match('GET', '/nothing')).toEqual({ found: false, reason: 'not-found' });
    expect(router().match('GET', '/secrets/%zz')).toEqual({ found: false, reason: 'bad-encoding' });
  });

  it('refuses an optional param that is not last', () => {
    expect(() => new Router().add({ method: 'GET', pattern: '/a/:b?/c', handler: ok }, 'x')).toThrow(/last/);
  });
});
