/**
 * DESIGN.md's dependency rules, checked on the source: the engine imports no SDK; nothing outside `local/`
 * and the tests imports `local/`; adapters never import each other; production code never imports test
 * support (which `tsconfig.build.json` leaves out of the deployment package).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TEST_SUPPORT = [
  /\.test\.ts$/,
  /(^|\/)testing\.ts$/,
  /(^|\/)testing\//,
  /bearer-suite\.ts$/,
  /^providers\/contract\.ts$/,
  /^rotation\/fakes\//,
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir))) {
    const rel = `${dir}/${entry}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (rel.endsWith('.ts')) out.push(rel);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) =>
    s.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(file), s)) : s,
  );
}

const production = ['functions', 'rotation', 'providers', 'consumers', 'azure', 'composition', 'cli']
  .flatMap(sourceFiles)
  .filter((f) => !TEST_SUPPORT.some((re) => re.test(f)));

describe('layering', () => {
  it('finds the production sources', () => {
    expect(production.length).toBeGreaterThan(100);
  });

  it('keeps the engine free of SDKs and adapters', () => {
    const offenders = production
      .filter((f) => f.startsWith('rotation/'))
      .flatMap((f) => importsOf(f).map((i) => [f, i] as const))
      .filter(
        ([, i]) =>
          i.startsWith('@azure/') || /^(azure|providers|consumers|composition|functions|local)\//.test(i),
      );
    expect(offenders).toEqual([]);
  });

  it('never imports local/ or test support from production code', () => {
    const offenders = production
      .flatMap((f) => importsOf(f).map((i) => [f, i] as const))
      .filter(
        ([, i]) =>
          /^(local|test|bench)\//.test(i) ||
          TEST_SUPPORT.some((re) => re.test(i.replace(/\.js$/, '.ts'))) ||
          i === 'vitest',
      );
    expect(offenders).toEqual([]);
  });

  it('keeps adapters from importing each other', () => {
    const offenders = production
      .flatMap((f) => importsOf(f).map((i) => [f, i] as const))
      .filter(([f, i]) => {
        const from = f.split('/')[0];
        const to = i.split('/')[0];
        return (
          ['azure', 'consumers'].includes(from!) &&
          ['azure', 'consumers', 'providers'].includes(to!) &&
          from !== to
        );
      });
    expect(offenders).toEqual([]);
  });
});
