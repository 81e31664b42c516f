/**
 * `patchbay backup --to DIR` while the server runs: a consistent database copy, then the content store's list
 * with digests and (unless --no-content) the files copied incrementally, then the manifest, last. See
 * backup-manifest.ts for the folder layout and docs/operations.md for the procedure.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import {
  dumpPostgres,
  migrationStatus,
  postgresTargetOf,
  snapshotSqlite,
  type ContentStore,
  type DbHandle,
  type OpenDatabaseOptions,
} from '../storage/index.js';
import { AppError } from '../errors.js';
import {
  backupFormat,
  backupFormatVersion,
  backupIdAt,
  contentPath,
  manifestName,
  type BackupManifest,
  type ContentEntry,
} from './backup-manifest.js';
import { readBackup } from './read-backup.js';
import { fileDigests } from './file-digests.js';
import { withFolderLock } from './folder-lock.js';

export interface CreateBackupInput {
  readonly db: DbHandle;
  readonly database: OpenDatabaseOptions;
  readonly store: ContentStore;
  readonly to: string;
  /** Copy the files (default); false writes only their list, for content copied by other means. */
  readonly copyContent: boolean;
  readonly configFile: string | undefined;
  /** Configured files a backup does not copy (secrets, certificates), named in the manifest. */
  readonly notCopied: readonly { key: string; path: string }[];
  readonly patchbayVersion: string;
  readonly now?: () => Date;
  readonly onProgress?: (p: { phase: 'database' | 'content'; done: number; total?: number }) => void;
}

export interface BackupSummary {
  readonly dir: string;
  readonly backupId: string;
  readonly database: { readonly driver: string; readonly file: string; readonly bytes: number };
  readonly content: {
    readonly files: number;
    readonly bytes: number;
    /** Files copied by this run (the others were already in the folder from an earlier backup). */
    readonly copiedFiles: number;
    readonly copiedBytes: number;
    readonly copied: boolean;
  };
  readonly removedFiles: number;
  readonly notCopied: readonly { key: string; path: string }[];
  readonly durationMs: number;
}

export async function createBackup(input: CreateBackupInput): Promise<BackupSummary> {
  const started = Date.now();
  const now = input.now ?? (() => new Date());
  const dir = input.to;
  await mkdir(dir, { recursive: true });
  return withFolderLock(dir, 'backup', async () => {
    // The previous backup in this folder, if it verifies: its content list says which files need no copy.
    const previous = await readBackup(dir).catch(() => undefined);
    const previousDigests = new Map<string, ContentEntry>();
    if (previous !== undefined && previous.manifest.content.copied)
      for await (const e of previous.entries()) previousDigests.set(e.sha1, e);

    const at = now();
    const backupId = backupIdAt(at);

    // 1. The database, first: a file the store gains afterwards is only an extra (adopted at restore); one the
    //    database lists but the copy lacks is queued for download again at restore.
    input.onProgress?.({ phase: 'database', done: 0 });
    const dbFile = `database-${backupId}.${input.database.driver === 'sqlite' ? 'sqlite' : 'pgdump'}`;
    const partial = join(dir, `${dbFile}.partial`);
    await rm(partial, { force: true });
    if (input.database.driver === 'sqlite') await snapshotSqlite(input.db, partial);
    else await dumpPostgres(postgresTargetOf(input.database), partial);
    const dbDigest = await sha256OfFile(partial);
    await rename(partial, join(dir, dbFile));
    const migrations = (await migrationStatus(input.db)).applied.map((m) => m.name);

    // 2. The content store: every stored object with its digests, copied when the folder lacks it.
    const listFile = `content-${backupId}.jsonl`;
    const list = createWriteStream(join(dir, `${listFile}.partial`));
    const listHash = createHash('sha256');
    let files = 0;
    let bytes = 0;
    let copiedFiles = 0;
    let copiedBytes = 0;
    const kept = new Set<string>();
    try {
      for await (const key of input.store.list()) {
        const st = await input.store.stat(key);
        if (st === undefined) continue; // deleted since it was listed
        const entry: ContentEntry = {
          sha1: key.toLowerCase(),
          sha256: st.sha256.toString('hex'),
          size: st.size,
        };
        if (input.copyContent) {
          const copied = await copyObject(input.store, dir, entry, previousDigests.get(entry.sha1));
          if (copied === 'gone') continue;
          if (copied === 'copied') {
            copiedFiles++;
            copiedBytes += entry.size;
          }
        }
        kept.add(entry.sha1);
        const line = `${JSON.stringify(entry)}\n`;
        listHash.update(line);
        if (!list.write(line)) await new Promise<void>((r) => list.once('drain', () => r()));
        files++;
        bytes += entry.size;
        if (files % 500 === 0) input.onProgress?.({ phase: 'content', done: files });
      }
    } finally {
      await new Promise<void>((resolve, reject) =>
        list.end((e?: Error | null) => (e ? reject(e) : resolve())),
      );
    }
    await rename(join(dir, `${listFile}.partial`), join(dir, listFile));

    // 3. The configuration file, as it is now.
    let config: BackupManifest['config'] = null;
    if (input.configFile !== undefined) {
      await copyFile(input.configFile, join(dir, 'patchbay.ini.partial'));
      await rename(join(dir, 'patchbay.ini.partial'), join(dir, 'patchbay.ini'));
      config = { file: 'patchbay.ini', sha256: await sha256OfFile(join(dir, 'patchbay.ini')) };
    }

    // 4. The manifest, atomically: from here on this is the backup in the folder.
    const manifest: BackupManifest = {
      format: backupFormat,
      formatVersion: backupFormatVersion,
      backupId,
      createdAt: at.toISOString(),
      patchbayVersion: input.patchbayVersion,
      database: {
        driver: input.database.driver,
        file: dbFile,
        size: (await stat(join(dir, dbFile))).size,
        sha256: dbDigest,
        migrations,
      },
      content: {
        copied: input.copyContent,
        list: listFile,
        listSha256: listHash.digest('hex'),
        files,
        bytes,
      },
      config,
      notCopied: [...input.notCopied],
    };
    await writeFile(join(dir, `${manifestName}.partial`), `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(join(dir, `${manifestName}.partial`), join(dir, manifestName));

    // 5. What the new manifest no longer names: the older database copy and list, files no longer stored.
    const removedFiles = await pruneFolder(dir, manifest, input.copyContent ? kept : undefined);
    return {
      dir,
      backupId,
      database: { driver: input.database.driver, file: dbFile, bytes: manifest.database.size },
      content: { files, bytes, copiedFiles, copiedBytes, copied: input.copyContent },
      removedFiles,
      notCopied: manifest.notCopied,
      durationMs: Date.now() - started,
    };
  });
}

/** Copies one object into the folder unless the earlier backup already holds these exact bytes. */
async function copyObject(
  store: ContentStore,
  dir: string,
  entry: ContentEntry,
  previous: ContentEntry | undefined,
): Promise<'copied' | 'present' | 'gone'> {
  const target = join(dir, contentPath(entry.sha1));
  if (previous !== undefined && previous.sha256 === entry.sha256 && previous.size === entry.size) {
    const st = await stat(target).catch(() => undefined);
    if (st?.size === entry.size) return 'present';
  }
  const handle = await store.open(entry.sha1);
  if (handle === undefined) return 'gone';
  await mkdir(join(dir, 'content', entry.sha1.slice(0, 2)), { recursive: true });
  const partial = `${target}.partial`;
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipeline(
      entry.size === 0 ? emptyStream(handle) : handle.createReadStream(0, entry.size - 1),
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          size += chunk.length;
          cb(null, chunk);
        },
      }),
      createWriteStream(partial),
    );
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  // The store verified these bytes at ingest; check the copy too, so a disk error here is not a silent backup.
  if (size !== entry.size || hash.digest('hex') !== entry.sha256) {
    await rm(partial, { force: true });
    throw new AppError(
      'PB_ERR_FILESYSTEM',
      `the copy of ${entry.sha1} in ${dir} does not match the stored file`,
    );
  }
  await rename(partial, target);
  return 'copied';
}

/** An empty object has no byte range to read: release the handle and copy nothing. */
function emptyStream(handle: { close(): Promise<void> }): Readable {
  void handle.close();
  return Readable.from([]);
}

/** `kept` undefined (--no-content): files copied by an earlier backup are left alone. */
async function pruneFolder(
  dir: string,
  manifest: BackupManifest,
  kept: ReadonlySet<string> | undefined,
): Promise<number> {
  for (const name of await readdir(dir)) {
    const stale =
      (/^database-\d{8}T\d{9}Z\.(sqlite|pgdump)$/.test(name) && name !== manifest.database.file) ||
      (/^content-\d{8}T\d{9}Z\.jsonl$/.test(name) && name !== manifest.content.list) ||
      name.endsWith('.partial');
    if (stale) await rm(join(dir, name), { force: true });
  }
  if (kept === undefined) return 0;
  let removed = 0;
  const contentDir = join(dir, 'content');
  for (const fan of await readdir(contentDir).catch(() => [] as string[])) {
    for (const name of await readdir(join(contentDir, fan)).catch(() => [] as string[])) {
      if (kept.has(basename(name))) continue;
      await rm(join(contentDir, fan, name), { force: true });
      if (!name.endsWith('.partial')) removed++;
    }
  }
  return removed;
}

async function sha256OfFile(path: string): Promise<string> {
  return (await fileDigests(path)).sha256;
}
