import { describe, expect, it } from 'vitest';
import { CSV_BOM, csvCell, historyCsv, inventoryCsv, toCsv } from './csv.js';
import { buildHistory, parseHistoryQuery } from './history.js';
import { buildInventory } from './inventory.js';
import { SAMPLE_NOW, sampleInventoryInput, sampleRun } from './testing.js';

/** A small RFC 4180 parser, to check what a spreadsheet would read back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const body = text.startsWith(CSV_BOM) ? text.slice(1) : text;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && body[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe('csvCell', () => {
  it('quotes commas, quotes, line breaks and edge spaces (RFC 4180)', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(' padded')).toBe('" padded"');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(true)).toBe('true');
  });

  it('guards against formula injection: = + - @ tab and CR get a leading quote', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('+1+1')).toBe("'+1+1");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tcmd')).toBe("'\tcmd");
    expect(csvCell('\r=1')).toBe(`"'\r=1"`);
  });

  it('writes numbers as numbers (negative days stay sortable) and dates as ISO 8601', () => {
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(1.5)).toBe('1.5');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(new Date('2026-03-01T02:00:00Z'))).toBe('2026-03-01T02:00:00.000Z');
  });
});

describe('report CSVs', () => {
  it('starts with a BOM, uses CRLF and one header row, and round-trips through a parser', () => {
    const text = toCsv([{ header: 'a', value: (r: string) => r }], ['x,y', 'z']);
    expect(text.startsWith(CSV_BOM)).toBe(true);
    expect(text).toBe(`${CSV_BOM}a\r\n"x,y"\r\nz\r\n`);
    expect(parseCsv(text)).toEqual([['a'], ['x,y'], ['z']]);
    expect(toCsv([{ header: 'a', value: (r: string) => r }], ['q'], { bom: false })).toBe('a\r\nq\r\n');
  });

  it('inventory: one row per secret with ISO dates and numeric days left', () => {
    const report = buildInventory(sampleInventoryInput());
    const rows = parseCsv(inventoryCsv(report));
    const header = rows[0]!;
    expect(header.slice(0, 4)).toEqual(['vault', 'secret', 'state', 'state_reason']);
    expect(rows).toHaveLength(report.rows.length + 1);
    const legacy = rows.find((r) => r[1] === 'legacy-db-password')!;
    expect(legacy[header.indexOf('days_left')]).toBe('-3');
    expect(legacy[header.indexOf('expires')]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('history: hostile text from an HTTP caller is neutralised, values never appear', () => {
    const run = sampleRun({
      id: '0'.repeat(32),
      vault: 'kv-prod',
      group: 'g',
      provider: 'jwt-secret',
      secrets: ['-cmd-calc'],
      status: 'done',
      created: -1,
      trigger: {
        kind: 'http',
        caller: '@evil',
        reason: '=HYPERLINK("http://evil.example","open"), "quoted"\nsecond line',
      },
    });
    const text = historyCsv(buildHistory([run], parseHistoryQuery({}), SAMPLE_NOW));
    const rows = parseCsv(text);
    const header = rows[0]!;
    const row = rows[1]!;
    expect(row[header.indexOf('trigger_reason')]).toBe(
      '\'=HYPERLINK("http://evil.example","open"), "quoted"\nsecond line',
    );
    expect(row[header.indexOf('trigger_caller')]).toBe("'@evil");
    expect(row[header.indexOf('secrets')]).toBe("'-cmd-calc");
    expect(row[header.indexOf('duration_seconds')]).toBe('180');
    expect(row[header.indexOf('credential_id')]).toBe('key1 → key2');
    expect(rows.every((r) => r.length === header.length)).toBe(true);
  });
});
