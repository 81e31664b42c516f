#!/usr/bin/env node
/** The `patchbay` executable. */
import { mapCliError } from './error-mapper.js';
import { runCli } from './program.js';

const argv = process.argv.slice(2);

// `patchbay reports updates | head`: the reader went away. That is the reader's choice, not a failure:
// stop quietly instead of dying with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });

// Whatever escapes a command (a late socket error, a rejected promise nobody awaited) is reported the
// way every other failure is: one line, the stack trace only with --debug.
const fatal = (err: unknown) => {
  const mapped = mapCliError(err, { debug: argv.includes('--debug') });
  process.stderr.write(mapped.text);
  process.exit(mapped.exitCode);
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

const code = await runCli(argv);
// Let stdout/stderr drain before exiting; servers and handles are closed by the commands themselves.
process.exitCode = code;
