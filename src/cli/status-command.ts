/**
 * `patchbay status` (docs/operations.md "Status"): the one status screen of src/operations, the storage sizes,
 * and what a `patchbay cleanup` would reclaim now (its dry run's totals, so the figure is what the cleanup would
 * really do, never a guess).
 */
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { serverStatus, type ServerStatus } from '../operations/index.js';
import { contentStatus } from '../content-sync/index.js';
import { cleanupSettingsFrom, createCleanupService } from '../maintenance/index.js';
import { createRepositories, openContentStore, type DatabaseSize, type DbHandle } from '../storage/index.js';
import type { CliIo } from './cli-io.js';
import { describeDatabase } from './cli-database.js';
import { databaseOptions } from '../main.js';
import { formatBytes, printJson, withSyncCli } from './sync-cli-support.js';
import { packageVersion } from './package-version.js';

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

/** `patchbay status --json`: the server status and what `patchbay cleanup` would reclaim. */
export type StatusReport = ServerStatus & { readonly cleanup?: CleanupEstimate };

export async function statusReport(
  db: DbHandle,
  config: Config,
  cleanupEstimate?: (db: DbHandle) => Promise<CleanupEstimate>,
): Promise<StatusReport> {
  const s = await serverStatus(db, config, {
    version: packageVersion(),
    databaseLocation: describeDatabase(databaseOptions(config)),
  });
  return { ...s, ...(cleanupEstimate !== undefined ? { cleanup: await cleanupEstimate(db) } : {}) };
}

const when = (iso: string | null): string =>
  iso === null ? 'never' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export function formatStatus(s: StatusReport): string {
  const d = s.database;
  const free = d.freeBytes === null ? '' : ` (${formatBytes(d.freeBytes)} free pages)`;
  const disk = (u: ServerStatus['disk']['content']) =>
    `${formatBytes(u.freeBytes)} free of ${formatBytes(u.totalBytes)} (${u.freePercent}%)`;
  const run = (r: ServerStatus['sync']['last']) =>
    r === null ? 'none' : `#${r.syncRunId} ${r.kind} ${r.outcome}, ${when(r.finishedAt ?? r.startedAt)}`;
  const c = s.catalog;
  const cl = s.clients;
  const comp = cl.compliance;
  return [
    `version:       Patchbay ${s.version}`,
    `database:      ${d.location}`,
    `database size: ${formatBytes(d.bytes)}${free}`,
    `content store: ${s.content.dir} (mode ${s.content.mode})`,
    `content size:  ${formatBytes(s.content.bytes)} in ${s.content.files} file(s)`,
    `content queue: ${s.content.queuedFiles} file(s) (${formatBytes(s.content.queuedBytes)}) to download, ${s.content.failedFiles} failed`,
    `disk:          content ${disk(s.disk.content)}; data ${disk(s.disk.data)}`,
    `last sync:     ${run(s.sync.last)}`,
    `last good:     ${run(s.sync.lastGood)}`,
    `next sync:     ${s.sync.nextScheduledAt === null ? 'not scheduled (syncs_per_day = 0)' : when(s.sync.nextScheduledAt)}`,
    `catalog:       generation ${c.activeGenerationId ?? 'none'}${c.activatedAt ? ` since ${when(c.activatedAt)}` : ''}, ${c.revisions} revision(s)` +
      (c.pinnedGenerationId !== null
        ? `; PINNED to ${c.pinnedGenerationId} since ${when(c.pinnedAt)}`
        : '; not pinned'),
    `quarantine:    ${s.quarantinedRevisions} revision(s)`,
    `clients:       ${cl.computers} computer(s), ${cl.activeLastHour} active in the last hour, ${cl.installFailuresLastHour} install failure(s) in the last hour`,
    `compliance:    ${comp.compliant ?? 0} compliant, ${comp.needed ?? 0} needing updates, ${comp.failed ?? 0} with failures, ${comp.unknown ?? 0} unknown`,
    ...(s.cleanup !== undefined
      ? [
          `cleanup would reclaim: ${s.cleanup.rows} row(s), ${s.cleanup.files} file(s), ${formatBytes(s.cleanup.bytes)}`,
        ]
      : []),
    s.warnings.length === 0
      ? 'warnings:      none'
      : `warnings:\n${s.warnings.map((w) => `  ${w.status.toUpperCase()} ${w.name}: ${w.message}`).join('\n')}`,
    '',
  ].join('\n');
}

export function registerStatusCommand(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  program
    .command('status')
    .description(
      'one screen: version, database, disk, last and next sync, catalog and pin, quarantine, content queue, clients, warnings, what a cleanup would reclaim',
    )
    .option('--json', 'print JSON')
    .action(async (_o: unknown, cmd: Command) => {
      await withSyncCli(cmd, io, async ({ config, db, json }) => {
        const store = await openContentStore(config);
        const cleanup = createCleanupService(db, store, cleanupSettingsFrom(config));
        const s = await statusReport(db, config, () => cleanup.estimate()).finally(() => store.close());
        if (json) return printJson(io, s);
        io.stdout(formatStatus(s));
      });
    });
}
