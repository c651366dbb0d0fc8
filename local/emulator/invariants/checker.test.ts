/**
 * The invariant checker mounted in a real emulator: valid values pass, an invalid or disabled current
 * value is recorded once with the request that caused it (a Key Vault write, an ARM key regeneration),
 * a later valid version closes it, unmanaged secrets are ignored; and the JWT / MongoDB rules.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';
import type { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../index.js';
import { emulatorSecretClient, localCredential } from '../testing.js';
import { jwtVerdict, mongoVerdict } from './validity.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'rg-invariants';
const ACCOUNT = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.CognitiveServices/accounts/oai-inv`;
const MANAGED: Record<
  string,
  { kind: 'azure-cognitive-services'; resource: string } | 'jwt-secret' | 'groq'
> = {
  'openai-key': { kind: 'azure-cognitive-services', resource: ACCOUNT },
  'jwt-signing': 'jwt-secret',
  'groq-key': 'groq',
};

let stateDir: string;
let emulator: RunningEmulator;
let secrets: SecretClient;
let arm: CognitiveServicesManagementClient;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'invariants-'));
  emulator = await startEmulator({
    vaults: ['kv-invariants'],
    stateDir,
    resources: [{ type: 'Microsoft.CognitiveServices/accounts', resourceGroup: RG, name: 'oai-inv' }],
    invariants: { managed: (_vault, name) => MANAGED[name.toLowerCase()] },
  });
  secrets = emulatorSecretClient(emulator.vaults[0]!.url, emulator.caCert, {
    retryOptions: { maxRetries: 0 },
  });
  arm = new CognitiveServicesManagementClient(localCredential, SUB, {
    endpoint: emulator.armEndpoint,
    tlsOptions: { ca: emulator.caCert },
    retryOptions: { maxRetries: 0 },
  });
});

afterAll(async () => {
  await emulator?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

beforeEach(async () => {
  // Each test starts from a valid state.
  await secrets.setSecret('openai-key', emulator.control.arm.cognitiveKeys(ACCOUNT).key2);
  emulator.invariants!.reset();
});

describe('invariant checker', () => {
  it('records nothing while every managed secret serves a valid value; ignores unmanaged secrets', async () => {
    const { key1 } = emulator.control.arm.cognitiveKeys(ACCOUNT);
    await secrets.setSecret('openai-key', key1);
    await secrets.setSecret('jwt-signing', randomBytes(48).toString('base64url'));
    await secrets.setSecret('groq-key', emulator.control.dataPlanes.mintCredential('groq').value);
    await secrets.setSecret('not-managed', 'x');
    expect(emulator.invariants!.violations()).toEqual([]);
    expect(emulator.invariants!.stats().checks).toBeGreaterThanOrEqual(4);
    expect(emulator.invariants!.stats().verified).toBeGreaterThan(0);
  });

  it('records a Key Vault write of an invalid value once, with the request that caused it', async () => {
    await secrets.setSecret('openai-key', 'f'.repeat(32));
    await secrets.getSecret('openai-key');
    const [violation, ...more] = emulator.invariants!.violations();
    expect(more).toEqual([]);
    expect(violation).toMatchObject({
      vault: 'kv-invariants',
      secret: 'openai-key',
      kind: 'azure-cognitive-services',
      reason: expect.stringContaining('not a current key'),
      cause: {
        type: 'request',
        method: 'PUT',
        path: expect.stringMatching(/^\/secrets\/openai-key\b/),
        status: 200,
      },
    });
    expect(violation!.cause.type === 'request' && violation!.cause.origin).toBe('kv-invariants');
    // A valid version closes it; nothing new is recorded.
    await secrets.setSecret('openai-key', emulator.control.arm.cognitiveKeys(ACCOUNT).key2);
    await secrets.getSecret('openai-key');
    expect(emulator.invariants!.violations()).toHaveLength(1);
  });

  it('records the ARM regeneration that killed the served key', async () => {
    await secrets.setSecret('openai-key', emulator.control.arm.cognitiveKeys(ACCOUNT).key1);
    await arm.accounts.regenerateKey(RG, 'oai-inv', 'Key1');
    const violations = emulator.invariants!.violations();
    expect(violations).toHaveLength(1);
    expect(violations[0]!.cause).toMatchObject({
      type: 'request',
      origin: 'arm',
      method: 'POST',
      path: expect.stringContaining('/regenerateKey'),
    });
  });

  it('records a disabled current version and a revoked manual credential', async () => {
    const groq = emulator.control.dataPlanes.mintCredential('groq');
    const written = await secrets.setSecret('groq-key', groq.value);
    expect(emulator.invariants!.violations()).toEqual([]);
    await secrets.updateSecretProperties('groq-key', written.properties.version!, { enabled: false });
    await secrets.setSecret('groq-key', groq.value);
    emulator.control.dataPlanes.revokeCredential('groq', groq.id);
    emulator.invariants!.check();
    const reasons = emulator.invariants!.violations().map((v) => [v.reason, v.cause.type]);
    expect(reasons).toEqual([
      [expect.stringContaining('disabled'), 'request'],
      [expect.stringContaining('not a live groq credential'), 'manual'],
    ]);
  });
});

describe('validity rules without a data plane', () => {
  it('JWT: non-empty and decodes to at least 32 bytes', () => {
    expect(jwtVerdict(randomBytes(32).toString('base64url'))).toEqual({ valid: true });
    expect(jwtVerdict(randomBytes(32).toString('hex'))).toEqual({ valid: true });
    expect(jwtVerdict(randomBytes(64).toString('base64'))).toEqual({ valid: true });
    expect(jwtVerdict('')).toMatchObject({ valid: false });
    expect(jwtVerdict(randomBytes(16).toString('base64url'))).toMatchObject({ valid: false });
    expect(jwtVerdict('not base64 at all!')).toMatchObject({ valid: false });
  });

  it('MongoDB: parses as a connection string', () => {
    expect(mongoVerdict('mongodb://app:pw@127.0.0.1:27017/db?authSource=admin')).toEqual({ valid: true });
    expect(mongoVerdict('mongodb+srv://app:pw@cluster0.example.net/db')).toEqual({ valid: true });
    expect(mongoVerdict('mongodb://h1:27017,h2:27017/?replicaSet=rs0')).toEqual({ valid: true });
    expect(mongoVerdict('postgres://app:pw@host/db')).toMatchObject({ valid: false });
    expect(mongoVerdict('mongodb://')).toMatchObject({ valid: false });
  });
});
