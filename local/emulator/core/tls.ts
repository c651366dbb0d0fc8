/**
 * The emulator's TLS material: a local CA and one leaf certificate signed by it, generated once per process
 * (key generation is the slow part) and shared by every server the process starts.
 * Clients trust the CA per client (`tlsOptions: { ca }`, `https.Agent({ ca })`), never process-wide.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface EmulatorTls {
  /** PEM of the CA that signed the server certificate: what clients trust. */
  caCert: string;
  /** PEM of the server (leaf) certificate, SANs `127.0.0.1`, `localhost`, `::1`. */
  cert: string;
  /** PEM of the leaf's private key. Never leaves the process. */
  key: string;
}

const DAY_MS = 86_400_000;
let pending: Promise<EmulatorTls> | undefined;

async function createTls(): Promise<EmulatorTls> {
  // Back-dated a day so a client whose clock lags a little still accepts it; valid for a year of real time.
  const notBeforeDate = new Date(Date.now() - DAY_MS);
  const notAfterDate = new Date(Date.now() + 365 * DAY_MS);
  const ca = await generate([{ name: 'commonName', value: 'Key Vault Rotator local emulator CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { caCert: ca.cert, cert: leaf.cert, key: leaf.private };
}

/** The process-wide TLS material (generated on first call). */
export function emulatorTls(): Promise<EmulatorTls> {
  pending ??= createTls().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

/** Writes the CA certificate as `emulator-ca.pem` under `stateDir` and returns the file's path. */
export function writeCaCert(stateDir: string, caCert: string): string {
  mkdirSync(stateDir, { recursive: true });
  const file = path.resolve(stateDir, 'emulator-ca.pem');
  writeFileSync(file, caCert);
  return file;
}
