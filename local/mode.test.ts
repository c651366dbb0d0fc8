import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseConfig, decideMode, isRemoteStorage, parseFlag } from './mode.js';

const AZURE_STORAGE =
  'DefaultEndpointsProtocol=https;AccountName=strotator;AccountKey=bm90LWEta2V5;EndpointSuffix=core.windows.net';
const AZURITE =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=bm90LWEta2V5;' +
  'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;' +
  'TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;';

const withUrls = { vaults: [{ name: 'kv-a', url: 'https://kv-a.vault.azure.net/' }] };
const withoutUrls = { vaults: [{ name: 'kv-a' }] };

describe('decideMode', () => {
  it('picks azure only with vault URLs and real storage', () => {
    expect(decideMode({ config: withUrls, env: { AzureWebJobsStorage: AZURE_STORAGE } })).toEqual({
      mode: 'azure',
      reason: expect.stringContaining('every vault has a URL'),
    });
    expect(
      decideMode({ config: withUrls, env: { AzureWebJobsStorage__accountName: 'strotator' } }).mode,
    ).toBe('azure');
  });

  it('stays local when a vault has no URL, storage is local or missing', () => {
    expect(decideMode({ config: withoutUrls, env: { AzureWebJobsStorage: AZURE_STORAGE } })).toEqual({
      mode: 'local',
      reason: 'no vault URL in the config for kv-a',
    });
    expect(decideMode({ config: withUrls, env: { AzureWebJobsStorage: AZURITE } })).toEqual({
      mode: 'local',
      reason: 'AzureWebJobsStorage points at local storage',
    });
    expect(
      decideMode({ config: withUrls, env: { AzureWebJobsStorage: 'UseDevelopmentStorage=true' } }).mode,
    ).toBe('local');
    expect(decideMode({ config: withUrls, env: {} })).toEqual({
      mode: 'local',
      reason: 'AzureWebJobsStorage is not set',
    });
  });

  it('honours LOCAL_EMULATOR both ways', () => {
    expect(
      decideMode({ config: withUrls, env: { AzureWebJobsStorage: AZURE_STORAGE, LOCAL_EMULATOR: 'true' } }),
    ).toEqual({ mode: 'local', reason: 'LOCAL_EMULATOR=true' });
    expect(decideMode({ config: withoutUrls, env: { LOCAL_EMULATOR: 'false' } })).toEqual({
      mode: 'azure',
      reason: 'LOCAL_EMULATOR=false',
    });
  });

  it('rejects a LOCAL_EMULATOR that is not a boolean', () => {
    expect(() => parseFlag('LOCAL_EMULATOR', 'maybe')).toThrow(/LOCAL_EMULATOR must be true or false/);
    expect(parseFlag('X', ' ')).toBeUndefined();
    expect(parseFlag('X', 'YES')).toBe(true);
  });

  it('treats mixed or unparsable storage endpoints as local', () => {
    expect(isRemoteStorage(AZURE_STORAGE)).toBe(true);
    expect(isRemoteStorage(`${AZURE_STORAGE};BlobEndpoint=http://localhost:10000/x`)).toBe(false);
    expect(isRemoteStorage('garbage')).toBe(false);
    expect(isRemoteStorage(undefined)).toBe(false);
  });
});

describe('chooseConfig', () => {
  it('prefers ROTATION_CONFIG, then rotation.json, then the sample', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rotator-mode-'));
    expect(chooseConfig({}, dir)).toBe(path.join(dir, 'rotation.sample.json'));
    writeFileSync(path.join(dir, 'rotation.json'), '{}');
    expect(chooseConfig({}, dir)).toBe(path.join(dir, 'rotation.json'));
    expect(chooseConfig({ ROTATION_CONFIG: 'conf/r.json' }, dir)).toBe(path.join(dir, 'conf/r.json'));
    expect(chooseConfig({ ROTATION_CONFIG: ' {"vaults":[]}' }, dir)).toBe('{"vaults":[]}');
  });
});
