/**
 * The process-wide app behind every function: `getRotatorApp` builds it on first use from `process.env`
 * (so registering functions loads neither the root nor any SDK) and returns the same one afterwards.
 *
 * A bad config is remembered: every later call rejects with the same `ConfigInvalid`, so the functions stay
 * registered and each invocation fails with the list of problems (Event Grid and the queue retry after a
 * fix and a restart). Any other failure to build (the emulator not answering yet) is retried on the next call.
 *
 * `npm start` and tests build the app themselves (`createRotatorApp` with the emulator's clock) and install
 * it with `setRotatorApp` before the host serves requests.
 */
import { isRotationError } from '../rotation/errors.js';
import type { GetApp, RotatorApp } from './app.js';

let current: Promise<RotatorApp> | undefined;

export const getRotatorApp: GetApp = () => {
  current ??= build();
  return current;
};

function build(): Promise<RotatorApp> {
  const pending = import('./root.js').then(({ createRotatorAppFromEnv }) =>
    createRotatorAppFromEnv(process.env),
  );
  pending.catch((error: unknown) => {
    // Forget everything but a config error, so a transient start-up failure is retried.
    if (!isRotationError(error, 'ConfigInvalid') && current === pending) current = undefined;
  });
  return pending;
}

/** Installs the app every function uses from now on (`npm start`, tests). */
export function setRotatorApp(app: RotatorApp | Promise<RotatorApp>): void {
  current = Promise.resolve(app);
}

/** Forgets the app; the next `getRotatorApp()` builds a new one from `process.env`. */
export function resetRotatorApp(): void {
  current = undefined;
}
