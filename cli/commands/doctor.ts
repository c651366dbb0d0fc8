/** `rotator doctor`: preflight checks (read-only), each problem with the role or setting that fixes it. */
import net from 'node:net';
import path from 'node:path';
import { isRotationError } from '../../rotation/errors.js';
import { settleLimit } from '../../rotation/reports/index.js';
import type { Command, CommandContext } from '../command.js';
import {
  type CheckResult,
  checkChannels,
  checkConsumers,
  checkGroup,
  checkStorage,
  checkVaultRights,
  type DoctorOptions,
  groupsToCheck,
  listVaults,
} from '../doctor/checks.js';
import { EXIT, type ExitCode, UsageError } from '../exit.js';
import type { Style } from '../format.js';

const HELP = `Usage: rotator doctor [--json]

Preflight: is everything a rotation needs in place? All checks are read-only.
  config     rotation.json and the app settings are valid
  storage    the run journal can be read (the daily sweep has run recently)
  vault      each vault can be listed, read and written (set is probed without writing)
  provider   each credential group's provider settings are valid and its resource is reachable with
             the rights rotation needs (e.g. listKeys on a Cognitive Services account)
  consumer   consumers named by secrets exist and their secretRefs resolve
  channel    alert channels' secretRefs resolve and their hosts are reachable

Prints what is wrong and the role or setting that fixes it. Exit 0 when nothing failed, 2 otherwise.

Options:
  --json     the findings as JSON
`;

/** Opens a TCP connection and closes it at once (no request is sent). */
export function tcpConnect(host: string, port: number, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const done = (error?: Error) => {
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no answer within ${timeoutMs} ms`)));
    socket.once('connect', () => done());
    socket.once('error', (error) => done(error));
  });
}

const SYMBOL: Record<CheckResult['status'], (s: Style) => string> = {
  ok: (s) => s.green('✓'),
  warn: (s) => s.yellow('!'),
  fail: (s) => s.red('✗'),
  skip: (s) => s.gray('-'),
};

export function formatFindings(findings: readonly CheckResult[], style: Style): string {
  const areaWidth = Math.max(...findings.map((f) => f.area.length));
  const lines = findings.map((f) => {
    const head = `${SYMBOL[f.status](style)} ${f.area.padEnd(areaWidth)}  ${style.bold(f.target)}: ${f.message}`;
    return f.fix && f.status !== 'ok'
      ? `${head}\n${' '.repeat(areaWidth + 4)}${style.gray('fix:')} ${f.fix}`
      : head;
  });
  const failed = findings.filter((f) => f.status === 'fail').length;
  const warned = findings.filter((f) => f.status === 'warn').length;
  const verdict =
    failed > 0
      ? style.red(`${failed} problem(s)`)
      : warned > 0
        ? style.yellow('no problem, some warnings')
        : style.green('everything a rotation needs is in place');
  return `${lines.join('\n')}\n\n${verdict}${warned > 0 && failed > 0 ? `, ${warned} warning(s)` : ''}.\n`;
}

export async function runDoctor(ctx: CommandContext, options: DoctorOptions): Promise<CheckResult[]> {
  const findings: CheckResult[] = [];
  let app: Awaited<ReturnType<CommandContext['app']>>;
  try {
    app = await ctx.app();
  } catch (error) {
    if (!isRotationError(error, 'ConfigInvalid')) throw error;
    const details = error.details.map((d) => `${d.path}: ${d.message}`);
    findings.push({
      area: 'config',
      target: 'settings',
      status: 'fail',
      message: details.length > 0 ? `${error.message.split('\n')[0]} ${details.join('; ')}` : error.message,
      fix: 'correct rotation.json (see rotation.schema.json) or the app settings named above',
    });
    return findings;
  }
  const counts = `${app.config.vaults.length} vault(s), ${app.config.secrets.length} secret(s) in ${app.config.groups.length} group(s)`;
  const config = app.settings.ROTATION_CONFIG.trim();
  findings.push({
    area: 'config',
    target: config.startsWith('{') ? 'ROTATION_CONFIG' : path.basename(config),
    status: 'ok',
    message: `valid: ${counts}; target ${app.mode}`,
  });
  findings.push(...(await checkStorage(app)));
  const { listings, results } = await listVaults(app);
  findings.push(...results);
  findings.push(...(await checkVaultRights(app, listings)));
  const groups = groupsToCheck(app, listings);
  const perGroup = await settleLimit(groups, 4, (g) => checkGroup(app, g, listings));
  perGroup.forEach((r, i) => {
    if (r.ok) findings.push(...r.value);
    else
      findings.push({
        area: 'provider',
        target: `${groups[i]!.vault}/${groups[i]!.id}`,
        status: 'fail',
        message: String(r.error),
      });
  });
  findings.push(...checkConsumers(app, listings));
  findings.push(...(await checkChannels(app, listings, options)));
  return findings;
}

export function createDoctorCommand(
  options: DoctorOptions = { connect: (h, p) => tcpConnect(h, p) },
): Command {
  return {
    name: 'doctor',
    summary: 'preflight: config, storage, vault rights, provider rights, consumers, channels',
    help: HELP,
    options: { json: { type: 'boolean' } },
    async run(ctx): Promise<ExitCode> {
      if (ctx.positionals.length > 0) throw new UsageError(`unexpected argument '${ctx.positionals[0]}'`);
      const findings = await runDoctor(ctx, options);
      if (ctx.values.json === true) ctx.io.stdout.write(`${JSON.stringify({ findings }, null, 2)}\n`);
      else ctx.io.stdout.write(formatFindings(findings, ctx.style));
      return findings.some((f) => f.status === 'fail') ? EXIT.usage : EXIT.ok;
    },
  };
}

export const doctorCommand: Command = createDoctorCommand();
