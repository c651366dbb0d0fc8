import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RotationError } from '../rotation/errors.js';
import { createFakeProvider } from '../rotation/fakes/index.js';
import { createFakeApp, type FakeApp } from '../test/support/fake-app.js';
import type { CliIo, Output } from './io.js';
import { runCli } from './run.js';

const DAY = 86_400_000;
const ACCOUNTS = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts';

interface Captured extends Output {
  text: string;
}

function capture(isTTY = false, columns?: number): Captured {
  const out: Captured = {
    text: '',
    isTTY,
    columns,
    write(chunk: string) {
      out.text += chunk;
    },
  };
  return out;
}

/**
 * Three key-pair secrets, one of them due (it entered the 30-day window 12 hours ago). The fake provider
 * serves one key pair for every group: bulk rotations in tests run one group at a time.
 */
function world(
  secrets: Record<string, number | null> = { 'openai-key': 29.5, 'speech-key': 60, 'vision-key': 75 },
) {
  const provider = createFakeProvider({ kind: 'azure-cognitive-services' });
  const fake = createFakeApp({
    config: {
      vaults: [{ name: 'kv-test' }],
      secrets: Object.fromEntries(
        Object.keys(secrets).map((name) => [
          name,
          { provider: 'azure-cognitive-services', settings: { resourceId: `${ACCOUNTS}/${name}` } },
        ]),
      ),
    },
    providers: { 'azure-cognitive-services': provider },
  });
  const now = fake.world.clock.now().getTime();
  for (const [name, days] of Object.entries(secrets)) {
    fake.world.store.seed('kv-test', name, {
      value: provider.service.keys.key1,
      tags: { CredentialId: 'key1', Team: name === 'vision-key' ? 'vision' : 'ai' },
      ...(days === null ? {} : { expiresOn: new Date(now + days * DAY) }),
      createdOn: new Date(now - 60 * DAY),
    });
  }
  return { ...fake, provider };
}

async function cli(
  fake: Pick<FakeApp, 'getApp'> | { getApp: () => Promise<never> },
  argv: string[],
  tty: { stdout?: boolean; stderr?: boolean; env?: Record<string, string>; columns?: number } = {},
) {
  const stdout = capture(tty.stdout ?? false, tty.columns);
  const stderr = capture(tty.stderr ?? false);
  const files = new Map<string, string>();
  const io: CliIo = {
    stdout,
    stderr,
    env: tty.env ?? {},
    cwd: '/work/tmp',
    writeFile: async (file, data) => {
      files.set(file, data);
    },
    createApp: () => fake.getApp(),
    operator: 'alice',
  };
  const code = await runCli(argv, io);
  return { code, out: stdout.text, err: stderr.text, files };
}

describe('rotator: help and usage', () => {
  it('answers --help everywhere with exit 0, and usage errors with exit 2', async () => {
    const fake = world();
    const main = await cli(fake, ['--help']);
    expect(main.code).toBe(0);
    expect(main.out).toContain('Usage: rotator <command>');
    for (const command of ['plan', 'rotate', 'report', 'doctor']) {
      const help = await cli(fake, [command, '--help']);
      expect(help.code).toBe(0);
      expect(help.out).toMatch(new RegExp(`Usage: rotator ${command}`));
    }
    expect((await cli(fake, ['help', 'rotate'])).out).toContain('--compromised');
    expect((await cli(fake, [])).code).toBe(2);
    const unknown = await cli(fake, ['rotaet']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'rotaet'");
    const badOption = await cli(fake, ['report', 'inventory', '--colour']);
    expect(badOption.code).toBe(2);
    expect(badOption.err).toContain("Unknown option '--colour'");
  });
});

describe('rotator report', () => {
  it('prints an inventory table that fits the terminal, without colour when not a TTY', async () => {
    const fake = world();
    const { code, out } = await cli(fake, ['report', 'inventory'], { columns: 70 });
    expect(code).toBe(0);
    expect(out).toContain('3 secrets: 1 due, 2 ok');
    expect(out).not.toContain('\u001b[');
    const table = out
      .split('\n')
      .filter((l) => l.length > 0)
      .slice(2);
    expect(table[0]).toMatch(/^STATE\s+VAULT\s+SECRET/);
    expect(table.every((l) => l.length <= 70)).toBe(true);
    expect(table[1]).toMatch(/^due\s+kv-test\s+openai-key/);
  });

  it('colours states on a terminal, unless NO_COLOR is set', async () => {
    const fake = world();
    const coloured = await cli(fake, ['report', 'inventory'], { stdout: true });
    expect(coloured.out).toContain('\u001b[33mdue\u001b[39m');
    const plain = await cli(fake, ['report', 'inventory'], { stdout: true, env: { NO_COLOR: '1' } });
    expect(plain.out).not.toContain('\u001b[');
    const flag = await cli(fake, ['report', 'inventory', '--no-color'], { stdout: true });
    expect(flag.out).not.toContain('\u001b[');
  });

  it('writes JSON, CSV (with a BOM in files) and HTML', async () => {
    const fake = world();
    const json = await cli(fake, ['report', 'inventory', '--format', 'json', '--state', 'due']);
    expect(JSON.parse(json.out).rows.map((r: { name: string }) => r.name)).toEqual(['openai-key']);
    const csv = await cli(fake, ['report', 'inventory', '--format', 'csv', '--out', 'inv.csv']);
    const file = csv.files.get(path.resolve('/work/tmp', 'inv.csv'))!;
    expect(file.startsWith('\uFEFFvault,secret,state')).toBe(true);
    expect(csv.err).toContain('Wrote the inventory report (3 secrets, csv)');
    const stdoutCsv = await cli(fake, ['report', 'inventory', '--format', 'csv']);
    expect(stdoutCsv.out.startsWith('vault,secret,state')).toBe(true);
    const html = await cli(fake, ['report', 'history', '--format', 'html']);
    expect(html.out).toContain('<title>Rotation history</title>');
  });

  it('filters history and rejects options of the other report', async () => {
    const fake = world();
    await cli(fake, ['rotate', 'openai-key', '--reason', 'test']);
    const history = await cli(fake, ['report', 'history', '--status', 'done', '--format', 'json']);
    const body = JSON.parse(history.out);
    expect(body.runs).toHaveLength(1);
    expect(body.runs[0].trigger).toMatchObject({ kind: 'cli', caller: 'cli:alice', reason: 'test' });
    const table = await cli(fake, ['report', 'history']);
    expect(table.out).toMatch(/1 runs: 1 done/);
    expect(table.out).toMatch(/done\s+openai-key\s+kv-test\s+cli cli:alice test\s+key1 → key2/);
    expect((await cli(fake, ['report', 'inventory', '--since', '2026-01-01'])).code).toBe(2);
    const bad = await cli(fake, ['report', 'history', '--status', 'exploded']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('status: must be one of');
    expect((await cli(fake, ['report', 'everything'])).code).toBe(2);
  });
});

describe('rotator rotate', () => {
  it('rotates one secret in this process and prints the run (exit 0)', async () => {
    const fake = world();
    const { code, out } = await cli(fake, ['rotate', 'openai-key', '--reason', 'quarterly']);
    expect(code).toBe(0);
    expect(out).toMatch(/kv-test\/openai-key \(group .+, azure-cognitive-services\) — done/);
    expect(out).toMatch(/credential\s+key1 → key2 \(…/);
    expect(fake.world.store.versions('kv-test', 'openai-key')).toHaveLength(2);
    expect(out).not.toContain(fake.provider.service.keys.key2);
  });

  it('exits 1 when the rotation fails, 2 for usage and unknown secrets', async () => {
    const fake = world();
    fake.world.faults.inject({
      op: 'store.setSecret',
      times: Number.POSITIVE_INFINITY,
      error: () => new RotationError('PermissionDenied', 'set is not allowed'),
    });
    const failed = await cli(fake, ['rotate', 'openai-key', '--reason', 'test']);
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/— failed/);
    expect(failed.out).toContain('PermissionDenied');
    fake.world.clock.advance(60_000);
    const again = await cli(fake, ['rotate', 'openai-key', '--reason', 'test']);
    // An operator's retry does not wait out RETRY_FAILED_AFTER_MINUTES: it is attempt 2, and fails again.
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/— failed/);
    expect(fake.world.store.versions('kv-test', 'openai-key')).toHaveLength(1);
    expect((await cli(fake, ['rotate', 'openai-key'])).code).toBe(2);
    expect((await cli(fake, ['rotate', 'openai-key', '--all', '--reason', 'x'])).code).toBe(2);
    expect((await cli(fake, ['rotate', '--reason', 'x'])).code).toBe(2);
    const unknown = await cli(fake, ['rotate', 'nope', '--reason', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('UnmanagedSecret');
    expect((await cli(fake, ['rotate', '--provider', 'sharepoint', '--reason', 'x'])).code).toBe(2);
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const fake = world();
    const { code, out } = await cli(fake, ['rotate', 'openai-key', '--dry-run']);
    expect(code).toBe(0);
    expect(out).toMatch(/would rotate/);
    expect(out).toMatch(/write\s+openai-key: /);
    expect(fake.world.store.versions('kv-test', 'openai-key')).toHaveLength(1);
    expect(fake.world.journal.all()).toEqual([]);
  });

  it('rotates a selection (--tag) with a progress bar on a terminal only', async () => {
    const fake = world();
    const tty = await cli(fake, ['rotate', '--tag', 'Team=ai', '--reason', 'policy', '--concurrency', '1'], {
      stderr: true,
    });
    expect(tty.code).toBe(0);
    expect(tty.err).toContain('Rotating 2 credential group(s)');
    expect(tty.err).toContain('\r');
    expect(tty.err).toContain('2/2');
    expect(tty.out).toContain('2 of 2 group(s) rotated without failure.');
    expect(fake.world.store.versions('kv-test', 'vision-key')).toHaveLength(1);

    const piped = await cli(world(), ['rotate', '--all', '--reason', 'policy', '--concurrency', '1']);
    expect(piped.err).not.toContain('\r');
    expect(piped.out).toContain('3 of 3 group(s) rotated without failure.');
  });
});

describe('rotator plan', () => {
  it('shows what is due and what each run would do, changing nothing', async () => {
    const fake = world();
    const { code, out } = await cli(fake, ['plan']);
    expect(code).toBe(0);
    expect(out).toContain('1 of 3 credential group(s) due; 1 would rotate now.');
    expect(out).toMatch(/kv-test\/openai-key \[due, expires in 29d\]/);
    expect(out).toMatch(/propagate\s+no consumers/);
    expect(fake.world.journal.all()).toEqual([]);
    const all = await cli(fake, ['plan', '--all', '--json']);
    expect(JSON.parse(all.out).plans).toHaveLength(3);
  });
});

describe('rotator doctor', () => {
  it('passes when everything is in place', async () => {
    const fake = world();
    const { code, out } = await cli(fake, ['doctor']);
    expect(code).toBe(0);
    expect(out).toMatch(/✓ vault\s+kv-test: list: 3 secret\(s\)/);
    expect(out).toMatch(/✓ vault\s+kv-test: set: allowed \(probed without writing\)/);
    expect(out).toMatch(/✓ provider\s+kv-test\/.+: azure-cognitive-services: the current credential works/);
    expect(out).toContain('everything a rotation needs is in place');
    expect(fake.world.store.versions('kv-test', 'openai-key')).toHaveLength(1);
  });

  it('reports a missing permission with the role that fixes it (exit 2)', async () => {
    const fake = world();
    fake.world.faults.inject({
      op: 'store.updateVersion',
      times: Number.POSITIVE_INFINITY,
      error: () =>
        new RotationError(
          'PermissionDenied',
          "Caller is not authorized to perform action on resource. Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'",
        ),
    });
    const { code, out } = await cli(fake, ['doctor']);
    expect(code).toBe(2);
    expect(out).toMatch(/✗ vault\s+kv-test: set: PermissionDenied: Caller is not authorized/);
    expect(out).toContain("fix: assign the identity 'Key Vault Secrets Officer' on vault kv-test");
    expect(out).toContain('1 problem(s)');
    const json = await cli(fake, ['doctor', '--json']);
    expect(JSON.parse(json.out).findings.filter((f: { status: string }) => f.status === 'fail')).toHaveLength(
      1,
    );
  });

  it('reports an invalid config with every problem (exit 2)', async () => {
    const broken = {
      getApp: async (): Promise<never> => {
        throw new RotationError('ConfigInvalid', 'the rotation config has 1 problem', {
          details: [{ path: '$.secrets["x"].validityDays', message: 'must be at least 31' }],
        });
      },
    };
    const { code, out } = await cli(broken, ['doctor']);
    expect(code).toBe(2);
    expect(out).toContain('✗ config');
    expect(out).toContain('$.secrets["x"].validityDays: must be at least 31');
    const report = await cli(broken, ['report', 'inventory']);
    expect(report.code).toBe(2);
    expect(report.err).toContain('$.secrets["x"].validityDays: must be at least 31');
    const listed = {
      getApp: async (): Promise<never> => {
        throw new RotationError(
          'ConfigInvalid',
          'the rotation config has 1 problem:\n  $.secrets["x"].validityDays: must be at least 31',
          { details: [{ path: '$.secrets["x"].validityDays', message: 'must be at least 31' }] },
        );
      },
    };
    const once = await cli(listed, ['report', 'inventory']);
    expect(once.err.split('$.secrets["x"].validityDays')).toHaveLength(2);
  });
});

describe('rotator app options', () => {
  it('reads local.settings.json Values, with the environment and flags winning', async () => {
    const { cliEnvironment } = await import('./app.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'rotator-cli-test-'));
    const file = path.join(dir, 'local.settings.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      file,
      JSON.stringify({
        Values: { ROTATION_CONCURRENCY: '3', HTTP_WAIT_SECONDS: 5, ROTATION_PAUSED: 'true' },
      }),
    );
    const env = await cliEnvironment({
      env: { ROTATION_PAUSED: 'false' },
      cwd: dir,
      stderr: capture(),
      configFile: 'other.json',
    });
    expect(env).toMatchObject({
      ROTATION_CONCURRENCY: '3',
      HTTP_WAIT_SECONDS: '5',
      ROTATION_PAUSED: 'false',
      ROTATION_CONFIG: path.join(dir, 'other.json'),
    });
    expect(env.LOCAL_STATE_DIR).toBe(path.join(dir, '.local'));
    await expect(cliEnvironment({ env: {}, cwd: dir, stderr: capture(), target: 'local' })).rejects.toThrow(
      /npm start/,
    );
    expect(readFileSync(file, 'utf8')).toContain('ROTATION_CONCURRENCY');
  });
});
