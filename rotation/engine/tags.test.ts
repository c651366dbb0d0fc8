import { describe, expect, it } from 'vitest';
import { isRotationError } from '../errors.js';
import {
  buildRotationTags,
  checkTagBudget,
  isRotatorVersion,
  keyHint,
  mergeTags,
  rotationIdOf,
  userTags,
} from './tags.js';

describe('tags', () => {
  it('keyHint shows the last 4 characters of a real key, nothing of a short one', () => {
    expect(keyHint('sk-abcdefghijklmnop1234')).toBe('1234');
    expect(keyHint('short-value')).toBe('****');
  });

  it('buildRotationTags writes the six rotator tags, ProviderAddress only when given', () => {
    expect(
      buildRotationTags({ runId: 'r1', provider: 'jwt-secret', credentialId: 'kid1', validityDays: 90 }),
    ).toEqual({
      RotatedBy: 'key-vault-rotator',
      RotationId: 'r1',
      Provider: 'jwt-secret',
      CredentialId: 'kid1',
      ValidityPeriodDays: '90',
    });
    expect(
      buildRotationTags({
        runId: 'r1',
        provider: 'azure-cognitive-services',
        credentialId: 'key2',
        validityDays: 60,
        providerAddress: '/subscriptions/x',
      }).ProviderAddress,
    ).toBe('/subscriptions/x');
  });

  it('isRotatorVersion recognises our writes case-insensitively', () => {
    expect(isRotatorVersion({ RotatedBy: 'key-vault-rotator' })).toBe(true);
    expect(isRotatorVersion({ rotatedby: 'Key-Vault-Rotator ' })).toBe(true);
    expect(isRotatorVersion({ RotatedBy: 'someone-else' })).toBe(false);
    expect(isRotatorVersion({})).toBe(false);
    expect(isRotatorVersion(undefined)).toBe(false);
    expect(rotationIdOf({ ROTATEDBY: 'key-vault-rotator', rotationid: 'abc' })).toBe('abc');
    expect(rotationIdOf({ RotationId: 'abc' })).toBeUndefined();
  });

  it('carries the user tags over and replaces rotator-owned names in any spelling', () => {
    const current = { Owner: 'me', credentialid: 'key1', validityPeriodDays: '30', env: 'prod' };
    expect(userTags(current)).toEqual({ Owner: 'me', env: 'prod' });
    expect(mergeTags(current, { CredentialId: 'key2' })).toEqual({
      Owner: 'me',
      env: 'prod',
      CredentialId: 'key2',
    });
  });

  it('checkTagBudget allows 9 user tags and refuses 10, naming how many to remove', () => {
    const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, 'v']));
    expect(() => checkTagBudget('s', { ...tags(9), CredentialId: 'key1' })).not.toThrow();
    try {
      checkTagBudget('s', tags(11));
      expect.unreachable();
    } catch (error) {
      expect(isRotationError(error, 'TagLimitExceeded')).toBe(true);
      expect((error as Error).message).toContain('Remove 2 tag(s)');
    }
  });
});
