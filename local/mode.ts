/**
 * Which world `npm start` serves the functions against: the embedded local Azure (emulator + Azurite) or
 * real Azure. The rule, in order:
 *
 * 1. `LOCAL_EMULATOR=true` → local; `LOCAL_EMULATOR=false` → azure (both say so as the reason).
 * 2. Otherwise azure only when real endpoints are complete: every configured vault has a `url`, and
 *    storage is real (`AzureWebJobsStorage` names no loopback endpoint, or `AzureWebJobsStorage__accountName`
 *    is set for an identity-based connection).
 * 3. Anything else → local. A half-configured Azure setup never reaches Azure by accident.
 *
 * Local mode never builds `DefaultAzureCredential` (it would probe 169.254.169.254): the composition root
 * picks `StaticLocalCredential` from the `local` environment `npm start` hands it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isLoopbackHost, storageEndpointsOf } from '../azure/endpoints.js';
import type { ResolvedConfig } from '../rotation/config/index.js';

export type StartMode = 'local' | 'azure';

export interface ModeDecision {
  mode: StartMode;
  /** One sentence for the banner: why this mode. */
  reason: string;
}

export interface ModeInput {
  config: Pick<ResolvedConfig, 'vaults'>;
  env: Readonly<Record<string, string | undefined>>;
}

/** A boolean setting the rotation settings schema does not cover (`LOCAL_EMULATOR`, `AZURITE_PERSIST`). */
export class FlagError extends Error {
  constructor(name: string, value: string) {
    super(`${name} must be true or false (got "${value}")`);
    this.name = 'FlagError';
  }
}

/** Parses a boolean setting; undefined when unset or empty. Throws `FlagError` on anything but a boolean word. */
export function parseFlag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const lower = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(lower)) return true;
  if (['false', '0', 'no'].includes(lower)) return false;
  throw new FlagError(name, value);
}

/** True when a storage connection string names only non-loopback endpoints. */
export function isRemoteStorage(connectionString: string | undefined): boolean {
  if (connectionString === undefined || connectionString.trim() === '') return false;
  const endpoints = storageEndpointsOf(connectionString);
  if (endpoints.length === 0) return false;
  return endpoints.every((endpoint) => {
    try {
      return !isLoopbackHost(new URL(endpoint).hostname);
    } catch {
      // An endpoint that is not a URL is not a real Azure endpoint either.
      return false;
    }
  });
}

export function decideMode(input: ModeInput): ModeDecision {
  const flag = parseFlag('LOCAL_EMULATOR', input.env.LOCAL_EMULATOR);
  if (flag === true) return { mode: 'local', reason: 'LOCAL_EMULATOR=true' };
  if (flag === false) return { mode: 'azure', reason: 'LOCAL_EMULATOR=false' };

  const missingUrl = input.config.vaults.filter((vault) => vault.url === undefined).map((v) => v.name);
  if (missingUrl.length > 0) {
    return {
      mode: 'local',
      reason: `no vault URL in the config for ${missingUrl.join(', ')}`,
    };
  }
  const accountName = input.env.AzureWebJobsStorage__accountName?.trim();
  const storage = input.env.AzureWebJobsStorage;
  if (!(accountName || isRemoteStorage(storage))) {
    return {
      mode: 'local',
      reason:
        storage === undefined || storage.trim() === ''
          ? 'AzureWebJobsStorage is not set'
          : 'AzureWebJobsStorage points at local storage',
    };
  }
  return {
    mode: 'azure',
    reason: 'every vault has a URL and AzureWebJobsStorage is a real storage account',
  };
}

/** True when `ROTATION_CONFIG` carries the JSON itself rather than a path. */
export function isInlineConfig(value: string): boolean {
  const trimmed = value.trim();
  return trimmed.startsWith('{') || trimmed.startsWith('[');
}

/** `ROTATION_CONFIG` when set (a path, resolved against `cwd`, or inline JSON), else `rotation.json` when present, else the sample. */
export function chooseConfig(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  const given = env.ROTATION_CONFIG?.trim();
  if (given) return isInlineConfig(given) ? given : path.resolve(cwd, given);
  const own = path.join(cwd, 'rotation.json');
  return existsSync(own) ? own : path.join(cwd, 'rotation.sample.json');
}
