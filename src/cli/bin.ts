#!/usr/bin/env node
/** The `patchbay` executable. */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
// Let stdout/stderr drain before exiting; servers and handles are closed by the commands themselves.
process.exitCode = code;
