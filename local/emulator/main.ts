/**
 * `npm run emulator`: starts the emulator with a demo vault (or the vaults named in `EMULATOR_VAULTS`,
 * comma-separated), prints where everything is, and stops cleanly on Ctrl-C / SIGTERM.
 * The CA certificate goes to `LOCAL_STATE_DIR` (default `.local/`).
 */
import { startEmulator } from './index.js';

const vaults = (process.env.EMULATOR_VAULTS ?? 'demo-vault')
  .split(',')
  .map((name) => name.trim())
  .filter((name) => name.length > 0);

const emulator = await startEmulator({ vaults, stateDir: process.env.LOCAL_STATE_DIR ?? '.local' });

process.stdout.write(
  `${JSON.stringify(
    {
      emulator: emulator.origin,
      armEndpoint: emulator.armEndpoint,
      vaults: emulator.vaults,
      caCertFile: emulator.caCertFile,
    },
    null,
    2,
  )}\n` +
    `Control API: curl --cacert ${emulator.caCertFile} ${emulator.origin}/_emulator\n` +
    'Press Ctrl-C to stop.\n',
);

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the emulator…\n`);
  emulator.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`emulator: stop failed (${error instanceof Error ? error.message : 'unknown'})\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
