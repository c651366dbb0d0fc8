/**
 * Issue 10, HTTP surface review, as tests: function keys compared in constant time (digests of equal
 * length, whatever is presented); `code` never reaches a log line, however it is spelled or placed; table
 * queries built only with the SDK's `odata` escaping (and hostile values quoted by it); the documented
 * body limits exact to the byte; and no stack trace or internal detail in any answer, even when a
 * function throws something unexpected.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { odata } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyFilterExpression } from '../../azure/journal.js';
import { keysEqual } from '../../local/host/keys.js';
import {
  accountId,
  type ReliabilityStack,
  RG,
  randomValue,
  startReliabilityStack,
  VAULT,
} from './support/stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'surface-openai-key';
const MANUAL = 'surface-groq-key';
const STACK_TRACE = /\n\s+at |\bat \S+ \(|\.(ts|js|mjs):\d+:\d+|node_modules/;
let stack: ReliabilityStack;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir))) {
    const rel = path.join(dir, entry);
    if (statSync(path.join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) out.push(rel);
  }
  return out;
}

beforeAll(async () => {
  stack = await startReliabilityStack({
    resources: [{ type: 'Microsoft.CognitiveServices/accounts', resourceGroup: RG, name: 'oai-surface' }],
    config: {
      vaults: [{ name: VAULT }],
      secrets: {
        [SECRET]: {
          provider: 'azure-cognitive-services',
          settings: { resourceId: accountId('oai-surface') },
        },
        [MANUAL]: { provider: 'groq' },
      },
    },
  });
  const { key1 } = stack.emulator.control.arm.cognitiveKeys(accountId('oai-surface'));
  await stack.secrets().setSecret(SECRET, key1, { tags: { CredentialId: 'key1' } });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('function keys', () => {
  it('are compared with timingSafeEqual on SHA-256 digests, never with ===', () => {
    const keys = readFileSync(path.join(ROOT, 'local/host/keys.ts'), 'utf8');
    expect(keys).toMatch(/timingSafeEqual\(digest\(given\), digest\(expected\)\)/);
    for (const file of sourceFiles('local/host')) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      expect(text, file).not.toMatch(
        /functionKey\s*[!=]==\s*(?!\s|'')|[!=]==\s*(this\.#options\.|options\.)?functionKey/,
      );
    }
  });

  it('compare keys of any length without throwing (timingSafeEqual alone throws on unequal lengths)', () => {
    const key = randomValue();
    expect(keysEqual(key, key)).toBe(true);
    for (const other of ['', 'k', key.slice(0, -1), `${key}x`, 'k'.repeat(100_000), key.toUpperCase()]) {
      expect(keysEqual(other, key)).toBe(false);
    }
  });
});

describe('`code` in URLs', () => {
  it('never reaches a log line, on any path, however it is spelled', async () => {
    const key = stack.functionKey;
    const wrong = randomValue();
    const from = stack.logLines.length;
    const urls = [
      `/api/reports/inventory?code=${key}`,
      `/api/reports/inventory?format=json&code=${encodeURIComponent(key)}`,
      `/api/reports/inventory?%63ode=${key}`,
      `/api/reports/inventory?CODE=${key}&code=${key}`,
      `/api/nothing-here?code=${key}`,
      `/api/reports/inventory?code=${wrong}`,
      `/admin/functions/dailySweep?code=${wrong}`,
      `/runtime/webhooks/eventgrid?functionName=keyVaultEvents&code=${key}`,
    ];
    const statuses = [];
    for (const url of urls) {
      const method = url.includes('webhooks') || url.includes('/admin/') ? 'POST' : 'GET';
      statuses.push((await stack.api(url, { key: false, method })).status);
    }
    // CODE= is an unknown report parameter (400); the webhook without aeg-event-type is a 400.
    expect(statuses).toEqual([200, 200, 200, 400, 404, 401, 401, 400]);
    const lines = stack.logLines.slice(from);
    expect(lines.length).toBeGreaterThanOrEqual(urls.length);
    for (const line of lines) {
      expect(line).not.toContain(key);
      expect(line).not.toContain(encodeURIComponent(key));
      expect(line).not.toContain(wrong);
    }
    expect(lines.some((line) => /code=(REDACTED|\[redacted\])/i.test(line))).toBe(true);
  });
});

describe('table queries', () => {
  it('are built only with the SDK odata template (no filter string is assembled by hand)', () => {
    const offenders: string[] = [];
    for (const dir of ['azure', 'rotation', 'functions', 'composition', 'cli']) {
      for (const file of sourceFiles(dir)) {
        const text = readFileSync(path.join(ROOT, file), 'utf8');
        for (const [i, line] of text.split('\n').entries()) {
          const where = `${file}:${i + 1}: ${line.trim()}`;
          if (/queryOptions/.test(line) && !/filter: (odata`|expression\b)/.test(line)) offenders.push(where);
          if (/clauses\.push\(/.test(line) && !/odata`/.test(line)) offenders.push(where);
          if (/\b(eq|ne|gt|ge|lt|le)\s+'\$\{/.test(line)) offenders.push(where);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('quote hostile values: a quote cannot close the string and add a clause', () => {
    const expression = historyFilterExpression(
      { vault: "kv' or 'a' eq 'a", status: 'done' },
      odata as (s: TemplateStringsArray, ...v: unknown[]) => string,
    );
    expect(expression).toBe("Vault eq 'kv'' or ''a'' eq ''a' and Status eq 'done'");
  });

  it('return nothing for injected ids and filters, though runs exist', async () => {
    const rotated = await stack.api(`/api/secrets/${SECRET}/rotate`, { body: { reason: 'baseline' } });
    expect(rotated.status, rotated.text).toBe(200);
    const journal = stack.app.engine.journal;
    expect(await journal.get("x' or RowKey ne '")).toBeUndefined();
    const injected = [];
    for await (const run of journal.list({ vault: `${VAULT}' or Vault ne '` })) injected.push(run);
    expect(injected).toEqual([]);
    const all = [];
    for await (const run of journal.list({ vault: VAULT })) all.push(run);
    expect(all).toHaveLength(1);
  });
});

describe('body limits', () => {
  /** A JSON body of exactly `bytes` bytes: `{"reason":"aaa…"}` (valid JSON, schema-invalid only when too long). */
  const sized = (field: string, bytes: number) => {
    const shell = `{"${field}":""}`;
    return `{"${field}":"${'a'.repeat(bytes - shell.length)}"}`;
  };

  it.each([
    ['rotate', `/api/secrets/${SECRET}/rotate`, 'reason', 8 * 1024],
    ['rotations', '/api/rotations', 'reason', 64 * 1024],
    ['versions', `/api/secrets/${MANUAL}/versions`, 'value', 32 * 1024],
    ['rollback', `/api/secrets/${SECRET}/rollback`, 'reason', 8 * 1024],
  ])('%s: %s accepts its limit to the byte and refuses one more', async (_name, route, field, limit) => {
    const at = await stack.api(route, { body: sized(field, limit) });
    expect(at.status, at.text.slice(0, 200)).not.toBe(413);
    expect(at.status).toBeLessThan(500);
    const over = await stack.api(route, { body: sized(field, limit + 1) });
    expect(over.status).toBe(413);
    expect((over.json() as { error: { code: string } }).error.code).toBe('PayloadTooLarge');
  });
});

describe('no stack traces', () => {
  it('an unexpected error inside a function answers a generic 500 and logs no stack', async () => {
    const journal = stack.app.engine.journal;
    const original = journal.get.bind(journal);
    const secretPath = `/home/site/wwwroot/${randomValue(8)}`;
    journal.get = async () => {
      throw new TypeError(
        `Cannot read properties of undefined (reading 'run') at ${secretPath}/journal.js:12:5`,
      );
    };
    const from = stack.logLines.length;
    try {
      const answer = await stack.api('/api/runs/0123456789abcdef0123456789abcdef');
      expect(answer.status).toBe(500);
      expect(answer.json()).toEqual({
        error: { code: 'InternalError', message: expect.stringContaining('unexpectedly') },
      });
      expect(answer.text).not.toContain(secretPath);
      expect(answer.text).not.toMatch(STACK_TRACE);
    } finally {
      journal.get = original;
    }
    // Ops get the error's message in the log — not a stack (JSON lines escape newlines as \n).
    const logged = stack.logLines.slice(from).join('\n');
    expect(logged).toContain('request failed unexpectedly');
    expect(logged).not.toMatch(/\\n\s+at |\n\s+at /);
  });

  it('every error answer of the hostile corpus and this file is a JSON error body without a stack', () => {
    const errors = stack.answers.filter((text) => text.startsWith('{"error"'));
    expect(errors.length).toBeGreaterThan(4);
    for (const text of stack.answers) expect(text).not.toMatch(STACK_TRACE);
  });
});
