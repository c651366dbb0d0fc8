import { describe, expect, it } from 'vitest';
import { httpRequest } from '../../test/support/http-api.js';
import { callerOf, encodeClientPrincipal, FUNCTION_KEY_CALLER } from './caller.js';

const withHeaders = (headers: Record<string, string>) => httpRequest('/api/x', { reason: 'x' }, { headers });

describe('callerOf', () => {
  it('uses the principal’s name claim (name_typ) and identity provider', () => {
    const principal = encodeClientPrincipal({
      name: 'alice@contoso.com',
      nameType: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
    });
    expect(callerOf(withHeaders({ 'x-ms-client-principal': principal }))).toBe('alice@contoso.com (aad)');
  });

  it('falls back to well-known claims, then to x-ms-client-principal-name', () => {
    const claims = Buffer.from(
      JSON.stringify({
        auth_typ: 'aad',
        claims: [{ typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'oid-123' }],
        name_typ: 'missing',
      }),
    ).toString('base64');
    expect(callerOf(withHeaders({ 'x-ms-client-principal': claims }))).toBe('oid-123 (aad)');
    expect(
      callerOf(
        withHeaders({
          'x-ms-client-principal-name': 'bob@contoso.com',
          'x-ms-client-principal-idp': 'github',
        }),
      ),
    ).toBe('bob@contoso.com (github)');
  });

  it('is function-key without identity headers', () => {
    expect(callerOf(withHeaders({}))).toBe(FUNCTION_KEY_CALLER);
  });

  it('refuses malformed principals with BadRequest, without echoing them', () => {
    const cases = [
      'not base64!',
      Buffer.from('{"claims": sk-secret').toString('base64'),
      Buffer.from(JSON.stringify({ claims: 'nope' })).toString('base64'),
      Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: [] })).toString('base64'),
    ];
    for (const header of cases) {
      let thrown: unknown;
      try {
        callerOf(withHeaders({ 'x-ms-client-principal': header }));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'BadRequest' });
      expect(String((thrown as Error).message)).not.toContain('sk-secret');
    }
  });

  it('strips control characters and bounds the length', () => {
    const principal = encodeClientPrincipal({ name: `eve\n\u0007${'x'.repeat(500)}` });
    const caller = callerOf(withHeaders({ 'x-ms-client-principal': principal }));
    expect(caller.includes('\n') || caller.includes(String.fromCharCode(7))).toBe(false);
    expect(caller.length).toBeLessThanOrEqual(256);
  });
});
