#!/usr/bin/env node
/**
 * `rotator` entry point (`npm run rotator -- …`, or the `rotator` bin of the built package).
 * Everything else lives in `run.ts` so tests drive the same code with injected I/O.
 */
import { processIo } from './io.js';
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2), processIo());
