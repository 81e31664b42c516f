/**
 * `patchbay restore DIR` onto a new machine or data directory: check the whole backup first (nothing changes
 * when it does not verify), then the files into the content store (each verified again by the store's ingest),
 * then the database, last and atomically (SQLite: a rename; PostgreSQL: pg_restore in one transaction into an
 * empty database), then the schema brought up to date and the download states reconciled with the store.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  installSqliteCopy,
  isEmptyDatabase,
  migrateToLatest,
  openDatabase,
  postgresTargetOf,
  restorePostgres,
  type ContentStore,
  type OpenDatabaseOptions,
} from '../storage/index.js';
import { reconcileContent } from '../content-sync/index.js';
import { AppError } from '../errors.js';
import { contentPath } from './backup-manifest.js';
import { readBackup, verifyBackup } from './read-backup.js';

export interface RestoreInput {
  readonly from: string;
  readonly database: OpenDatabaseOptions;
  readonly store: ContentStore;
  readonly onProgress?: (p: {
    phase: 'verify' | 'content' | 'database';
    done: number;
    total: number;
  }) => void;
}

export interface RestoreSummary {
  readonly backupId: string;
  readonly createdAt: string;
  readonly patchbayVersion: string;
  readonly database: { readonly driver: string; readonly migrationsApplied: readonly string[] };
  readonly content: {
    readonly files: number;
    readonly bytes: number;
    /** Files the store already held (a second restore, or content copied by hand). */
    readonly alreadyPresent: number;
    /** Files the database lists as stored that neither the backup nor the store had: queued for download. */
    readonly requeued: number;
    readonly copied: boolean;
  };
  readonly configFile: string | null;
  readonly notCopied: readonly { key: string; path: string }[];
  readonly durationMs: number;
}

export async function restoreBackup(input: RestoreInput): Promise<RestoreSummary> {
  const started = Date.now();
  const backup = await readBackup(input.from);
  const { manifest } = backup;
  if (manifest.database.driver !== input.database.driver)
    throw new AppError(
      'PB_ERR_USAGE',
      `the backup holds a ${manifest.database.driver} database and the configuration uses ${input.database.driver}: ` +
        `restore with database.driver = ${manifest.database.driver}`,
    );
  {
    // 1. The target must be new, and the whole backup must verify, before anything is written.
    if (input.database.driver === 'sqlite') {
      if (existsSync(input.database.path))
        throw new AppError(
          'PB_ERR_CONFLICT',
          `a database already exists at ${input.database.path}: restore only onto a new data directory (move the old one away first)`,
        );
    } else {
      const probe = openDatabase(input.database);
      try {
        if (!(await isEmptyDatabase(probe)))
          throw new AppError(
            'PB_ERR_CONFLICT',
            'the configured PostgreSQL database is not empty: restore into a new database (CREATE DATABASE ...)',
          );
      } finally {
        await probe.close();
      }
    }
    input.onProgress?.({ phase: 'verify', done: 0, total: manifest.content.files });
    await verifyBackup(backup, { content: true });

    // 2. The files, through the store's verified ingest (a file that changed since the check is refused there).
    let done = 0;
    let alreadyPresent = 0;
    if (manifest.content.copied) {
      for await (const e of backup.entries()) {
        const r = await input.store.ingest(createReadStream(join(input.from, contentPath(e.sha1))), {
          sha1: Buffer.from(e.sha1, 'hex'),
          sha256: Buffer.from(e.sha256, 'hex'),
          size: e.size,
        });
        if (r.alreadyPresent) alreadyPresent++;
        done++;
        if (done % 200 === 0) input.onProgress?.({ phase: 'content', done, total: manifest.content.files });
      }
    }

    // 3. The database, atomically, then its schema made current (a backup of an older version).
    input.onProgress?.({ phase: 'database', done: 0, total: 1 });
    const copy = join(input.from, manifest.database.file);
    if (input.database.driver === 'sqlite') await installSqliteCopy(copy, input.database.path);
    else await restorePostgres(postgresTargetOf(input.database), copy);
    const handle = openDatabase(input.database);
    try {
      const migrated = await migrateToLatest(handle);
      const reconciled = await reconcileContent(handle, input.store);
      return {
        backupId: manifest.backupId,
        createdAt: manifest.createdAt,
        patchbayVersion: manifest.patchbayVersion,
        database: { driver: manifest.database.driver, migrationsApplied: migrated.applied },
        content: {
          files: manifest.content.files,
          bytes: manifest.content.bytes,
          alreadyPresent,
          requeued: reconciled.requeued,
          copied: manifest.content.copied,
        },
        configFile: manifest.config === null ? null : join(input.from, manifest.config.file),
        notCopied: manifest.notCopied,
        durationMs: Date.now() - started,
      };
    } finally {
      await handle.close();
    }
  }
}
