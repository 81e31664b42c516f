/** `patchbay db migrate` (and, once storage reports migration status, `db status`). */
import type { Command } from 'commander';
import { databaseOptions } from '../main.js';
import { migrateToLatest, openDatabase } from '../storage/index.js';
import type { CliIo, GlobalOptions } from './cli-io.js';
import { loadCliConfigOrThrow } from './cli-config.js';

export function describeDatabase(options: ReturnType<typeof databaseOptions>): string {
  if (options.driver === 'sqlite') return `sqlite ${options.path}`;
  const u = new URL(options.connectionString);
  u.password = '';
  return `postgres ${u.toString()}`;
}

export function registerDbCommands(program: Command, io: CliIo, _setExitCode: (code: number) => void): void {
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
}
