export { runCli, buildProgram } from './program.js';
export { mapCliError, type MappedError } from './error-mapper.js';
export { processIo, type CliIo, type GlobalOptions } from './cli-io.js';
