/** `patchbay db migrate` and `patchbay db status`. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { databaseOptions } from '../main.js';
import { migrateToLatest, migrationStatus, openDatabase } from '../storage/index.js';
import type { CliIo, GlobalOptions } from './cli-io.js';
import { loadCliConfigOrThrow } from './cli-config.js';
import { describeDatabase, noDatabaseError } from './cli-database.js';

export function registerDbCommands(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const db = program.command('db').description('database maintenance');

  db.command('migrate')
    .description('create or upgrade the database schema to the latest version')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = await loadCliConfigOrThrow(cmd.optsWithGlobals<GlobalOptions>(), io);
      const options = databaseOptions(config);
      const handle = openDatabase(options);
      try {
        const report = await migrateToLatest(handle);
        for (const name of report.applied) io.stdout(`applied ${name}\n`);
        io.stdout(
          `${describeDatabase(options)}: schema up to date${report.applied.length === 0 ? ' (nothing to apply)' : ''}\n`,
        );
      } finally {
        await handle.close();
      }
    });

  db.command('status')
    .description('show applied and pending schema migrations (exit 1 when migrations are pending)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = await loadCliConfigOrThrow(cmd.optsWithGlobals<GlobalOptions>(), io);
      const options = databaseOptions(config);
      // Looking must not create: a missing SQLite file is reported, not made.
      if (options.driver === 'sqlite' && !existsSync(options.path)) throw noDatabaseError(config);
      const handle = openDatabase(options);
      try {
        const status = await migrationStatus(handle);
        if (opts.json) {
          io.stdout(`${JSON.stringify({ database: describeDatabase(options), ...status }, null, 2)}\n`);
        } else {
          io.stdout(`${describeDatabase(options)}\n`);
          for (const m of status.applied) io.stdout(`  applied  ${m.name}  ${m.executedAt.toISOString()}\n`);
          for (const name of status.pending) io.stdout(`  pending  ${name}\n`);
          io.stdout(
            status.pending.length === 0
              ? 'schema up to date\n'
              : `${status.pending.length} migration(s) pending: run \`patchbay db migrate\`\n`,
          );
        }
        if (status.pending.length > 0) setExitCode(1);
      } finally {
        await handle.close();
      }
    });
}
