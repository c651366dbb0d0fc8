/**
 * Replays recorded Key Vault traffic (Azure SDK for Python test recordings, api-version 7.3) against the
 * emulator, following test/fixtures/conformance README rules: 401 probes without token and body, version ids
 * mapped from PUT responses, paging through the emulator's own nextLink, status codes and JSON key sets
 * (recursively, with JSON types) compared, values not.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import { emulatorRequest } from '../../local/emulator/testing.js';

interface Entry {
  method: string;
  path: string;
  requestBody: unknown;
  status: number;
  wwwAuthenticate?: string;
  responseBody: unknown;
}

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/conformance/keyvault');
// The CRUD sample runs first so the deleted-secrets listing is not empty (see the fixtures README).
const FILES = [
  'samples-secret-crud-operations.json',
  'samples-secret-list-operations.json',
  'async-list-versions.json',
  'client-secret-crud-operations.json',
];

function load(file: string): Entry[] {
  return (JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as { entries: Entry[] }).entries;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Differences between the key structure of `expected` and `actual` (empty when they conform). */
function shapeDiff(expected: unknown, actual: unknown, where = '$'): string[] {
  const te = jsonType(expected);
  const ta = jsonType(actual);
  if (te !== ta) return [`${where}: expected ${te}, got ${ta}`];
  if (te === 'array') {
    const exp = expected as unknown[];
    const act = actual as unknown[];
    if (exp.length === 0) return act.length === 0 ? [] : [`${where}: expected an empty array`];
    const problems: string[] = [];
    act.forEach((item, i) => {
      // Every element must have the key set of (one of) the recorded elements.
      const diffs = exp.map((e) => shapeDiff(e, item, `${where}[${i}]`));
      if (!diffs.some((d) => d.length === 0)) problems.push(...(diffs[0] ?? []));
    });
    return problems;
  }
  if (te === 'object') {
    const exp = expected as Record<string, unknown>;
    const act = actual as Record<string, unknown>;
    const expKeys = Object.keys(exp).sort();
    const actKeys = Object.keys(act).sort();
    if (expKeys.join(',') !== actKeys.join(',')) {
      return [`${where}: keys [${actKeys.join(', ')}], recorded [${expKeys.join(', ')}]`];
    }
    return expKeys.flatMap((key) => shapeDiff(exp[key], act[key], `${where}.${key}`));
  }
  return [];
}

function lastSegment(id: string): string {
  return id.split('/').at(-1) ?? '';
}

describe('Key Vault recorded traffic replays against the emulator', () => {
  let emulator: RunningEmulator;
  let vaultUrl: string;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'kv-conformance-'));
    emulator = await startEmulator({ vaults: ['vaultname'], stateDir });
    vaultUrl = emulator.vaults[0]!.url;
  });

  afterAll(async () => {
    await emulator?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it.each(FILES)('%s', async (file) => {
    const entries = load(file);
    const versions = new Map<string, string>();
    let nextLink: string | null = null;
    let replayed = 0;
    for (const [index, entry] of entries.entries()) {
      let target = entry.path;
      for (const [recorded, ours] of versions) target = target.split(recorded).join(ours);
      let url = `${vaultUrl}${target}`;
      if (target.includes('$skiptoken')) {
        expect(nextLink, `entry ${index}: the emulator must give a nextLink here`).toEqual(
          expect.any(String),
        );
        url = nextLink!;
      }
      const probe = entry.status === 401;
      const response = await emulatorRequest(url, emulator.caCert, {
        method: entry.method,
        headers: probe
          ? { 'Content-Type': 'application/json', 'Content-Length': '0' }
          : { 'Content-Type': 'application/json', Authorization: 'Bearer x' },
        body: probe || entry.requestBody === null ? undefined : entry.requestBody,
      });
      replayed++;
      const body = response.text === '' ? null : response.json();
      const label = `${file} entry ${index}: ${entry.method} ${entry.path}`;

      // Delete is eventually consistent in Azure: the recording saw a 404 before the poller got 200.
      const lagging =
        entry.status === 404 &&
        entry.method === 'GET' &&
        entry.path.startsWith('/deletedsecrets/') &&
        entries[index + 1]?.path === entry.path;
      if (lagging && response.status === 200) {
        expect(shapeDiff(entries[index + 1]!.responseBody, body), label).toEqual([]);
        continue;
      }

      expect(response.status, label).toBe(entry.status);
      expect(shapeDiff(entry.responseBody, body), label).toEqual([]);
      if (entry.wwwAuthenticate) {
        const header = String(response.headers['www-authenticate']);
        expect(header).toMatch(
          /^Bearer authorization="https:\/\/login\.windows\.net\/[^"]+", resource="[^"]+"$/,
        );
        expect(header).toContain('resource="https://vault.azure.net"');
        expect(body).toEqual(entry.responseBody);
      }
      if (entry.method === 'PUT' && entry.status === 200) {
        const recordedId = (entry.responseBody as { id: string }).id;
        const ourId = (body as { id: string }).id;
        expect(ourId.startsWith(`${vaultUrl}/secrets/`)).toBe(true);
        expect(lastSegment(ourId)).toMatch(/^[0-9a-f]{32}$/);
        versions.set(lastSegment(recordedId), lastSegment(ourId));
      }
      if (body && typeof body === 'object' && 'nextLink' in body) {
        nextLink = (body as { nextLink: string | null }).nextLink;
      }
    }
    expect(replayed).toBeGreaterThan(0);
  });

  it('pages versions sorted by version id, as the service does', async () => {
    const url = `${vaultUrl}/secrets/livekvtestsec505f2c75/versions?maxresults=6&api-version=7.3`;
    const seen: string[] = [];
    let next: string | null = url;
    let pages = 0;
    while (next) {
      const response = await emulatorRequest(next, emulator.caCert, {
        headers: { Authorization: 'Bearer x' },
      });
      const page = response.json() as { value: { id: string }[]; nextLink: string | null };
      expect(page.value.length).toBeLessThanOrEqual(6);
      seen.push(...page.value.map((item) => lastSegment(item.id)));
      next = page.nextLink;
      pages++;
    }
    expect(pages).toBe(2);
    expect(seen).toHaveLength(7);
    expect([...seen].sort()).toEqual(seen);
  });
});
