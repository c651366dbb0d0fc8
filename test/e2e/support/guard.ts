/**
 * Preloaded into the `npm start` child of the e2e tests (`--import`): refuses and reports every connection
 * to a non-loopback address, and reports when `@azure/identity` is loaded (local mode must never build
 * `DefaultAzureCredential`, which would probe 169.254.169.254). Reports go to stderr as `GUARD:` lines.
 */
import { writeSync } from 'node:fs';
import { register } from 'node:module';
import net from 'node:net';
import { GUARD_PREFIX } from './guard-prefix.js';

function report(message: string): void {
  writeSync(2, `${GUARD_PREFIX} ${message}\n`);
}

function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;
const original = net.Socket.prototype.connect as unknown as Connect;

function targetOf(args: unknown[]): string | undefined {
  const [first, second] = args;
  const options = Array.isArray(first) ? first[0] : first;
  if (options && typeof options === 'object') {
    const o = options as { host?: unknown; path?: unknown };
    if (typeof o.path === 'string') return undefined;
    return typeof o.host === 'string' ? o.host : 'localhost';
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return typeof second === 'string' ? second : 'localhost';
  }
  // A string that is not a port is a pipe path.
  return undefined;
}

(net.Socket.prototype as unknown as { connect: Connect }).connect = function guardedConnect(
  this: net.Socket,
  ...args: unknown[]
) {
  const host = targetOf(args);
  if (host !== undefined && !isLoopback(host)) {
    report(`refused a connection to ${host}`);
    this.destroy(new Error(`guard: ${host} is not a loopback address`));
    return this;
  }
  return original.apply(this, args);
};

const hooks = `
import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (specifier === '@azure/identity' || specifier.startsWith('@azure/identity/')) {
    writeSync(2, '${GUARD_PREFIX} @azure/identity was loaded\\n');
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
