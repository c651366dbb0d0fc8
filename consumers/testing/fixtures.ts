/** Test helpers: a run record, a credential group, a recording logger and a fixed clock. */
import type { Clock, CredentialGroup, Logger, RunRecord } from '../../rotation/ports.js';

export function testGroup(overrides: Partial<CredentialGroup> = {}): CredentialGroup {
  const base: CredentialGroup = {
    vault: 'kv-test',
    id: 'openai',
    provider: 'azure-cognitive-services',
    settings: {},
    secrets: [
      {
        vault: 'kv-test',
        name: 'openai-key',
        provider: 'azure-cognitive-services',
        group: 'openai',
        settings: {},
        validityDays: 60,
        minIntervalHours: 24,
        consumers: [],
        channels: [],
        owners: [],
        source: 'config',
      },
    ],
    validityDays: 60,
    minIntervalHours: 24,
    consumers: [],
    channels: [],
    owners: [],
  };
  return { ...base, ...overrides };
}

export function testRun(overrides: Partial<RunRecord> = {}): RunRecord {
  const base: RunRecord = {
    id: 'run-kv-test-openai-v1',
    vault: 'kv-test',
    group: 'openai',
    provider: 'azure-cognitive-services',
    secrets: ['openai-key'],
    triggerVersion: 'v1',
    attempt: 1,
    status: 'running',
    phase: 'promoted',
    phases: [
      { phase: 'queued', at: '2030-01-01T00:00:00.000Z' },
      { phase: 'promoted', at: '2030-01-01T00:00:05.000Z' },
    ],
    trigger: { kind: 'event' },
    compromised: false,
    previousVersions: { 'openai-key': 'v1' },
    newVersions: { 'openai-key': 'v2' },
    previousCredentialId: 'key1',
    credentialId: 'key2',
    keyHint: 'abcd',
    consumers: [],
    revoked: [],
    pendingHuman: [],
    alerts: [],
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:05.000Z',
  };
  return { ...base, ...overrides };
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown> | undefined;
}

export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
  };
}

export function fixedClock(at = new Date('2030-01-01T00:01:00.000Z')): Clock {
  return { now: () => new Date(at), sleep: async () => {} };
}

/** Resolves `{ secretRef }` from a map, passing strings through. */
export function mapResolver(secrets: Record<string, string>) {
  return async (value: string | { secretRef: string; vault?: string }): Promise<string> => {
    if (typeof value === 'string') return value;
    const resolved = secrets[value.secretRef];
    if (resolved === undefined) throw new Error(`no secret named ${value.secretRef}`);
    return resolved;
  };
}
