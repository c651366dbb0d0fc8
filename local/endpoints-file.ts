/**
 * `LOCAL_STATE_DIR/endpoints.json`: where the local stack is, for the CLI, tests and the composition root.
 * Checked against the same schema `loadEndpointsFile` reads with, written atomically with mode 0600 (it
 * holds the function key), and removed when the stack stops so a stale file never points at dead ports.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ENDPOINTS_FILE, type EndpointsFile, endpointsFileSchema } from '../azure/endpoints.js';

export function endpointsFilePath(stateDir: string): string {
  return path.join(stateDir, ENDPOINTS_FILE);
}

/** Creates the state folder readable by the owner only (it holds keys and the CA). */
export function ensureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
}

export function writeEndpointsFile(stateDir: string, endpoints: EndpointsFile): string {
  const checked = endpointsFileSchema.parse(endpoints);
  ensureStateDir(stateDir);
  const file = endpointsFilePath(stateDir);
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600 });
  // The mode option is filtered by the umask; make sure of it.
  chmodSync(temp, 0o600);
  renameSync(temp, file);
  return file;
}

export function removeEndpointsFile(stateDir: string): void {
  rmSync(endpointsFilePath(stateDir), { force: true });
}

/** A random function key (256 bits, url-safe so it can travel as `?code=`). */
export function newFunctionKey(): string {
  return randomBytes(32).toString('base64url');
}
