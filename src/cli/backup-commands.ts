/**
 * `patchbay backup --to DIR` and `patchbay restore DIR` (docs/operations.md "Backup and restore"). Exit codes:
 * 0 done; 65 the folder is not a backup that verifies (nothing changed); 65 the restore target is not new.
 */
import type { Command } from 'commander';
import { createBackup, restoreBackup } from '../backup/index.js';
import type { Config } from '../config/index.js';
import { databaseOptions } from '../main.js';
import { openContentStore } from '../storage/index.js';
import type { CliIo, GlobalOptions } from './cli-io.js';
import { configFileFor, loadCliConfigOrThrow } from './cli-config.js';
import { openCliDatabase } from './cli-database.js';
import { packageVersion } from './package-version.js';
import { formatBytes, formatDuration, printJson } from './sync-cli-support.js';
import { resolve } from 'node:path';

/** Configured files a backup does not copy: secrets and certificates are recreated, not carried in a folder. */
function filesNotCopied(config: Config): { key: string; path: string }[] {
  return [
    ['server.tls_cert_file', config.server.tlsCertFile],
    ['server.tls_key_file', config.server.tlsKeyFile],
    ['database.password_file', config.database.passwordFile],
    ['upstream.proxy_password_file', config.upstream.proxyPasswordFile],
  ]
    .filter(([, path]) => path !== '')
    .map(([key, path]) => ({ key: key!, path: path! }));
}

export function registerBackupCommands(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  program
    .command('backup')
    .description(
      'copy the database (consistent, while serving) and the content store (incrementally) into a folder',
    )
    .requiredOption(
      '--to <dir>',
      'backup folder (created; a later backup to the same folder copies only new files)',
    )
    .option('--no-content', 'list the stored files with their digests but do not copy them')
    .option('--json', 'print JSON')
    .action(async (opts: { to: string; content: boolean; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = await loadCliConfigOrThrow(globals, io);
      const db = await openCliDatabase(config);
      const store = await openContentStore(config);
      try {
        const file = configFileFor(globals, io);
        const s = await createBackup({
          db,
          database: databaseOptions(config),
          store,
          to: resolve(io.cwd, opts.to),
          copyContent: opts.content,
          configFile: file === undefined ? undefined : resolve(io.cwd, file),
          notCopied: filesNotCopied(config),
          patchbayVersion: packageVersion(),
        });
        if (opts.json === true) return printJson(io, s);
        io.stdout(
          `backup ${s.backupId} in ${s.dir} (${formatDuration(s.durationMs)}):\n` +
            `  database  ${s.database.driver}, ${formatBytes(s.database.bytes)} (${s.database.file})\n` +
            `  content   ${s.content.files} files, ${formatBytes(s.content.bytes)}` +
            (s.content.copied
              ? `; ${s.content.copiedFiles} copied now (${formatBytes(s.content.copiedBytes)}), the rest already in the folder\n`
              : '; listed only (--no-content): copy the content folder by other means\n') +
            (s.removedFiles > 0 ? `  removed   ${s.removedFiles} files no longer stored\n` : '') +
            (s.notCopied.length > 0
              ? `  not copied (recreate on the new machine): ${s.notCopied.map((n) => `${n.key} = ${n.path}`).join(', ')}\n`
              : ''),
        );
      } finally {
        await store.close();
        await db.close();
      }
    });

  program
    .command('restore')
    .description(
      'restore a backup folder onto a new data directory or empty database, checking every file first',
    )
    .argument('<dir>', 'backup folder written by `patchbay backup`')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: { json?: boolean }, cmd: Command) => {
      const config = await loadCliConfigOrThrow(cmd.optsWithGlobals<GlobalOptions>(), io);
      const store = await openContentStore(config);
      try {
        const s = await restoreBackup({
          from: resolve(io.cwd, dir),
          database: databaseOptions(config),
          store,
        });
        if (opts.json === true) return printJson(io, s);
        io.stdout(
          `restored backup ${s.backupId} (${s.createdAt}, Patchbay ${s.patchbayVersion}) in ${formatDuration(s.durationMs)}:\n` +
            `  database  ${s.database.driver}${s.database.migrationsApplied.length > 0 ? `, schema upgraded (${s.database.migrationsApplied.join(', ')})` : ''}\n` +
            `  content   ${s.content.files} files, ${formatBytes(s.content.bytes)}` +
            (s.content.copied
              ? `, verified (${s.content.alreadyPresent} already in the store)`
              : ', not in the backup (listed only)') +
            '\n' +
            (s.content.requeued > 0
              ? `  queued    ${s.content.requeued} files missing from the backup, downloaded again by the next sync\n`
              : '') +
            (s.configFile !== null ? `  the backup's configuration is ${s.configFile}\n` : '') +
            (s.notCopied.length > 0
              ? `  recreate: ${s.notCopied.map((n) => `${n.key} (${n.path})`).join(', ')}\n`
              : ''),
        );
      } finally {
        await store.close();
      }
    });
}
