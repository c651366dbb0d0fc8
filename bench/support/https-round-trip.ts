/**
 * This machine's price for a call, apart from the emulator and the SDKs (section 2): a bare Node HTTPS
 * request over a kept-alive connection to a bare Node server in a process of its own, which answers a
 * small JSON body after the same injected latency (a timer), as the emulator does. What one such call takes
 * above the latency (TLS included) is what any client pays per call in a row here, before SDK pipelines
 * or the emulator's own work.
 */
import { spawn } from 'node:child_process';
import https from 'node:https';
import { emulatorTls } from '../../local/emulator/core/tls.js';
import { median } from './stats.js';

export interface HttpsRoundTrip {
  latencyMs: number;
  samples: number;
  medianMs: number;
}

/** The server: plain Node, no loader; its certificate comes from the environment (the emulator's leaf). */
const SERVER = `
const https = require('node:https');
const latency = Number(process.env.PROBE_LATENCY_MS);
const server = https.createServer({ key: process.env.PROBE_KEY, cert: process.env.PROBE_CERT }, (req, res) => {
  req.resume();
  req.on('end', () => setTimeout(() => {
    res.setHeader('content-type', 'application/json');
    res.end('{"value":"probe","id":"probe"}');
  }, latency));
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

export async function measureHttpsRoundTrip(latencyMs: number, samples = 41): Promise<HttpsRoundTrip> {
  const tls = await emulatorTls();
  const child = spawn(process.execPath, ['-e', SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      PROBE_LATENCY_MS: String(latencyMs),
      PROBE_KEY: tls.key,
      PROBE_CERT: tls.cert,
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`https probe server exited (${code})`)));
      child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    });
    const agent = new https.Agent({ keepAlive: true, ca: tls.caCert });
    const call = () =>
      new Promise<number>((resolve, reject) => {
        const started = performance.now();
        const request = https.request({ host: '127.0.0.1', port, path: '/', agent }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            JSON.parse(Buffer.concat(chunks).toString());
            resolve(performance.now() - started);
          });
        });
        request.on('error', reject);
        request.end();
      });
    for (let i = 0; i < 5; i++) await call(); // the connection and both processes warmed outside the samples
    const times: number[] = [];
    for (let i = 0; i < samples; i++) times.push(await call());
    agent.destroy();
    return { latencyMs, samples, medianMs: median(times) };
  } finally {
    child.stdin!.end();
    child.kill();
  }
}
