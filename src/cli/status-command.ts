/**
 * `patchbay status`: how big the server's storage is: the content store (verified files and bytes, and what is
 * still queued or failed), the database, and what a `patchbay cleanup` would reclaim now (its dry run's totals,
 * so the figure is what the cleanup would really do, never a guess).
 */
import type { Command } from 'commander';
import { contentStatus } from '../content-sync/index.js';
import { cleanupSettingsFrom, createCleanupService } from '../maintenance/index.js';
import { createRepositories, openContentStore, type DatabaseSize, type DbHandle } from '../storage/index.js';
import type { CliIo } from './cli-io.js';
import { describeDatabase } from './cli-database.js';
import { databaseOptions } from '../main.js';
import { formatBytes, printJson, withSyncCli } from './sync-cli-support.js';

export interface StorageStatus {
  readonly database: { readonly location: string } & DatabaseSize;
  readonly content: {
    readonly dir: string;
    readonly mode: string;
    /** Files in the store, verified (what clients can download). */
    readonly files: number;
    readonly bytes: number;
    /** Files the catalog names that are not stored yet (queued, downloading, failed). */
    readonly pendingFiles: number;
    readonly pendingBytes: number;
  };
  /** What a cleanup would reclaim now (the dry run's totals); absent when not asked for. */
  readonly cleanup?: CleanupEstimate;
}

/** Rows, files and bytes a `patchbay cleanup` would remove right now. */
export interface CleanupEstimate {
  readonly rows: number;
  readonly files: number;
  readonly bytes: number;
}

export async function storageStatus(
  db: DbHandle,
  where: { database: string; contentDir: string; contentMode: string },
  cleanupEstimate?: (db: DbHandle) => Promise<CleanupEstimate>,
): Promise<StorageStatus> {
  const [size, content] = await Promise.all([createRepositories(db).databaseSize.size(), contentStatus(db)]);
  const pending = ['queued', 'downloading', 'failed'] as const;
  return {
    database: { location: where.database, ...size },
    content: {
      dir: where.contentDir,
      mode: where.contentMode,
      files: content.states.verified.files,
      bytes: content.states.verified.bytes,
      pendingFiles: pending.reduce((n, s) => n + content.states[s].files, 0),
      pendingBytes: pending.reduce((n, s) => n + content.states[s].bytes, 0),
    },
    ...(cleanupEstimate !== undefined ? { cleanup: await cleanupEstimate(db) } : {}),
  };
}

export function registerStatusCommand(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  program
    .command('status')
    .description('storage sizes: the content store, the database, and what a cleanup would reclaim')
    .option('--json', 'print JSON')
    .action(async (_o: unknown, cmd: Command) => {
      await withSyncCli(cmd, io, async ({ config, db, json }) => {
        const store = await openContentStore(config);
        const cleanup = createCleanupService(db, store, cleanupSettingsFrom(config));
        const s = await storageStatus(
          db,
          {
            database: describeDatabase(databaseOptions(config)),
            contentDir: config.content.dir,
            contentMode: config.content.mode,
          },
          () => cleanup.estimate(),
        ).finally(() => store.close());
        if (json) return printJson(io, s);
        const free =
          s.database.freeBytes === null ? '' : ` (${formatBytes(s.database.freeBytes)} free pages)`;
        io.stdout(
          [
            `database:      ${s.database.location}`,
            `database size: ${formatBytes(s.database.bytes)}${free}`,
            `content store: ${s.content.dir} (mode ${s.content.mode})`,
            `content size:  ${formatBytes(s.content.bytes)} in ${s.content.files} file(s)`,
            `not stored:    ${formatBytes(s.content.pendingBytes)} in ${s.content.pendingFiles} file(s) queued, downloading or failed`,
            ...(s.cleanup !== undefined
              ? [
                  `cleanup would reclaim: ${formatBytes(s.cleanup.bytes)} (${s.cleanup.rows} row(s), ${s.cleanup.files} file(s); \`patchbay cleanup --dry-run\` lists them)`,
                ]
              : []),
            '',
          ].join('\n'),
        );
      });
    });
}
