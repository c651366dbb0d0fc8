import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRotationError, type RotationError } from '../rotation/errors.js';
import { loadEndpointsFile, loadLocalEnvironment, vaultUrlOf } from './endpoints.js';

let dir: string;

const file = {
  host: 'http://127.0.0.1:7071',
  functionKey: 'generated-at-start',
  emulator: 'https://127.0.0.1:40100',
  vaults: [
    { name: 'KV-Main', url: 'https://127.0.0.1:40101' },
    { name: 'kv-ops', url: 'https://127.0.0.1:40102/' },
  ],
  armEndpoint: 'https://127.0.0.1:40100',
  caCertFile: 'emulator-ca.pem',
  storageConnectionString:
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=eA==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;',
};

function write(name: string, content: unknown): string {
  const sub = mkdtempSync(path.join(dir, `${name}-`));
  writeFileSync(
    path.join(sub, 'endpoints.json'),
    typeof content === 'string' ? content : JSON.stringify(content),
  );
  writeFileSync(
    path.join(sub, 'emulator-ca.pem'),
    '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  );
  return sub;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kv-endpoints-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('loadEndpointsFile / loadLocalEnvironment', () => {
  it('reads the file written by npm start into a local environment', async () => {
    const stateDir = write('ok', file);
    const parsed = await loadEndpointsFile(stateDir);
    expect(parsed.vaults.map((v) => v.name)).toEqual(['kv-main', 'kv-ops']);
    const env = await loadLocalEnvironment(stateDir);
    expect(env.mode).toBe('local');
    expect(env.caCert).toContain('BEGIN CERTIFICATE');
    expect(vaultUrlOf(env, 'KV-MAIN')).toBe('https://127.0.0.1:40101');
    expect(() => vaultUrlOf(env, 'kv-none')).toThrow(/not configured \(known: kv-main, kv-ops\)/);
  });

  it('lists every problem by path', async () => {
    const stateDir = write('bad', {
      ...file,
      vaults: [{ name: 'kv main', url: 'https://127.0.0.1:1/path' }],
      armEndpoint: 'http://127.0.0.1:1',
      functionKey: undefined,
    });
    const error = (await loadEndpointsFile(stateDir).catch((e: unknown) => e)) as RotationError;
    expect(isRotationError(error, 'ConfigInvalid')).toBe(true);
    expect(error.details.map((d) => d.path).sort()).toEqual([
      'armEndpoint',
      'functionKey',
      'vaults.0.name',
      'vaults.0.url',
    ]);
  });

  it('fails clearly on a missing file, bad JSON, or a non-loopback endpoint', async () => {
    const missing = await loadEndpointsFile(path.join(dir, 'nowhere')).catch((e: unknown) => e);
    expect(isRotationError(missing, 'ConfigInvalid')).toBe(true);
    expect((missing as Error).message).toMatch(/npm start/);
    const broken = await loadEndpointsFile(write('json', '{')).catch((e: unknown) => e);
    expect((broken as Error).message).toMatch(/not valid JSON/);
    const remote = await loadLocalEnvironment(
      write('remote', { ...file, vaults: [{ name: 'kv', url: 'https://kv.vault.azure.net' }] }),
    ).catch((e: unknown) => e);
    expect(isRotationError(remote, 'ConfigInvalid')).toBe(true);
    expect((remote as Error).message).toMatch(/loopback/);
  });
});
