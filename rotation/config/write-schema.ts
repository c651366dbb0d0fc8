/**
 * `npm run schema`: writes `rotation.schema.json` from the zod schema the loader uses.
 * `--check` exits 1 when the committed file is stale.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { rotationConfigSchema } from './schema.js';

export const SCHEMA_FILE = fileURLToPath(new URL('../../rotation.schema.json', import.meta.url));

/** The JSON schema text, as committed (input side: defaults make fields optional). */
export function renderSchema(): string {
  const schema = z.toJSONSchema(rotationConfigSchema, { io: 'input', target: 'draft-2020-12' });
  return `${JSON.stringify({ ...schema, title: 'Key Vault Rotator configuration (rotation.json)' }, null, 2)}\n`;
}

function main(): void {
  const text = renderSchema();
  if (process.argv.includes('--check')) {
    const current = existsSync(SCHEMA_FILE) ? readFileSync(SCHEMA_FILE, 'utf8') : '';
    if (current !== text) {
      process.stderr.write('rotation.schema.json is stale: run `npm run schema`.\n');
      process.exitCode = 1;
    }
    return;
  }
  writeFileSync(SCHEMA_FILE, text);
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
