/**
 * The `patchbay` command line: global options, one registration per command group, and one error
 * mapper. `runCli` returns the exit code instead of exiting, so it can be tested in-process.
 */
import { Command, CommanderError } from 'commander';
import { registerApprovalCommands } from './approval-commands.js';
import { registerComputersCommands } from './computers-commands.js';
import { registerDownstreamsCommands } from './downstreams-commands.js';
import { registerCatalogCommands } from './catalog-commands.js';
import { registerConfigCommands } from './config-commands.js';
import { registerConnectorCommands } from './connector-commands.js';
import { registerContentCommands } from './content-commands.js';
import { registerGroupsCommands } from './groups-commands.js';
import { registerRingsCommands } from './rings-commands.js';
import { registerRulesCommands } from './rules-commands.js';
import { registerTokensCommands } from './tokens-commands.js';
import { registerUpdatesCommands } from './updates-commands.js';
import { registerDbCommands } from './db-commands.js';
import { registerReportsCommands } from './reports-commands.js';
import { mapCliError } from './error-mapper.js';
import { registerSelectionCommands } from './selection-commands.js';
import { registerServeCommand } from './serve-command.js';
import { registerTlsCommands } from './tls-commands.js';
import { registerSyncCommands } from './sync-commands.js';
import { registerStatusCommand } from './status-command.js';
import { registerCleanupCommand } from './cleanup-command.js';
import { registerBackupCommands } from './backup-commands.js';
import { registerBundleCommands } from './bundle-commands.js';
import { packageVersion } from './package-version.js';
import { registerHealthCommands } from './health-command.js';
import { processIo, type CliIo } from './cli-io.js';

export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('patchbay')
    .description('Patchbay: a WSUS-compatible Windows update server')
    .version(packageVersion(), '-V, --version')
    .option(
      '-c, --config <file>',
      'configuration file (default: ./patchbay.ini if present, else embedded defaults)',
    )
    .option('--debug', 'print stack traces of unexpected errors')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  registerConfigCommands(program, io, setExitCode);
  registerServeCommand(program, io, setExitCode);
  registerDbCommands(program, io, setExitCode);
  registerConnectorCommands(program, io, setExitCode);
  registerTlsCommands(program, io, setExitCode);
  registerReportsCommands(program, io, setExitCode);
  registerSyncCommands(program, io, setExitCode);
  registerSelectionCommands(program, io, setExitCode);
  registerCatalogCommands(program, io, setExitCode);
  registerContentCommands(program, io, setExitCode);
  registerUpdatesCommands(program, io, setExitCode);
  registerApprovalCommands(program, io, setExitCode);
  registerGroupsCommands(program, io, setExitCode);
  registerRingsCommands(program, io);
  registerComputersCommands(program, io, setExitCode);
  registerDownstreamsCommands(program, io, setExitCode);
  registerRulesCommands(program, io, setExitCode);
  registerTokensCommands(program, io, setExitCode);
  registerStatusCommand(program, io, setExitCode);
  registerCleanupCommand(program, io);
  registerBackupCommands(program, io, setExitCode);
  registerBundleCommands(program, io);
  registerHealthCommands(program, io, setExitCode);
  // Subcommands inherit exitOverride/output only when set on each; apply to the whole tree.
  const apply = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
      sub.showHelpAfterError();
      apply(sub);
    }
  };
  apply(program);
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    const debug = argv.includes('--debug');
    const mapped = mapCliError(err, { debug });
    if (mapped.text !== '') io.stderr(mapped.text);
    if (err instanceof CommanderError && err.code === 'commander.help') return 0;
    return mapped.exitCode;
  }
}
