import { describe, expect, it } from 'vitest';
import { isRotationError } from './errors.js';
import { loadSettings, requireStorage } from './settings.js';

describe('app settings', () => {
  it('applies the defaults DESIGN.md fixes', () => {
    expect(loadSettings({})).toEqual({
      AzureWebJobsStorage: undefined,
      ROTATION_CONFIG: 'rotation.json',
      ROTATION_CONCURRENCY: 8,
      SWEEP_SCHEDULE: '0 0 2 * * *',
      VALIDATION_TIMEOUT_SECONDS: 300,
      HTTP_WAIT_SECONDS: 20,
      RETRY_FAILED_AFTER_MINUTES: 60,
      ROTATION_PAUSED: false,
      LOCAL_STATE_DIR: '.local',
      PORT: 7071,
    });
  });

  it('reads given values and ignores unrelated variables', () => {
    const settings = loadSettings({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      ROTATION_CONFIG: '{"vaults":[]}',
      ROTATION_CONCURRENCY: '2',
      SWEEP_SCHEDULE: '0 */5 * * * *',
      ROTATION_PAUSED: 'TRUE',
      PORT: '0',
      PATH: '/usr/bin',
    });
    expect(settings).toMatchObject({
      ROTATION_CONFIG: '{"vaults":[]}',
      ROTATION_CONCURRENCY: 2,
      SWEEP_SCHEDULE: '0 */5 * * * *',
      ROTATION_PAUSED: true,
      PORT: 0,
    });
    expect(requireStorage(settings)).toBe('UseDevelopmentStorage=true');
  });

  it('lists every bad setting with its name', () => {
    try {
      loadSettings({
        ROTATION_CONCURRENCY: 'eight',
        ROTATION_PAUSED: 'maybe',
        SWEEP_SCHEDULE: '0 2 * * *',
        HTTP_WAIT_SECONDS: '600',
      });
      expect.unreachable();
    } catch (error) {
      expect(isRotationError(error, 'ConfigInvalid')).toBe(true);
      expect((error as { details: unknown }).details).toEqual([
        { path: 'ROTATION_CONCURRENCY', message: 'must be a whole number from 1 to 64' },
        {
          path: 'SWEEP_SCHEDULE',
          message: 'must be an NCRONTAB expression with six fields, seconds first (e.g. "0 0 2 * * *")',
        },
        { path: 'HTTP_WAIT_SECONDS', message: 'must be a whole number from 0 to 200' },
        { path: 'ROTATION_PAUSED', message: 'must be true or false' },
      ]);
      expect((error as Error).message).toContain('ROTATION_PAUSED: must be true or false');
    }
  });

  it('says clearly when storage is missing', () => {
    expect(() => requireStorage(loadSettings({}))).toThrow(/AzureWebJobsStorage is not set/);
  });
});
