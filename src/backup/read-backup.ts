/**
 * Reading and checking a backup folder. `verifyBackup` is what restore runs before it changes anything: the
 * manifest parses, the database copy and the content list match their SHA-256, and every copied file has its
 * size and SHA-256 (and SHA-1: the name is the content address). Reading is bounded: the manifest by size, the
 * content list line by line.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  contentPath,
  invalidBackup,
  manifestName,
  maxManifestBytes,
  parseContentLine,
  parseManifest,
  type BackupManifest,
  type ContentEntry,
} from './backup-manifest.js';
import { fileDigests } from './file-digests.js';

export interface OpenedBackup {
  readonly dir: string;
  readonly manifest: BackupManifest;
  /** The content list, streamed; throws PB_ERR_BACKUP_INVALID on a bad line. */
  entries(): AsyncIterable<ContentEntry>;
}

export async function readBackup(dir: string): Promise<OpenedBackup> {
  const path = join(dir, manifestName);
  const st = await stat(path).catch(() => undefined);
  if (st === undefined) throw invalidBackup(dir, `there is no ${manifestName} (an interrupted or no backup)`);
  if (st.size > maxManifestBytes)
    throw invalidBackup(dir, `${manifestName} is ${st.size} bytes, not a manifest`);
  const manifest = parseManifest(await readFile(path, 'utf8'), dir);
  return {
    dir,
    manifest,
    entries: () => readEntries(dir, manifest),
  };
}

async function* readEntries(dir: string, manifest: BackupManifest): AsyncIterable<ContentEntry> {
  const input = createReadStream(join(dir, manifest.content.list), { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line.length > 512) throw invalidBackup(dir, `content list line ${n} is too long`);
      if (line === '') continue;
      yield parseContentLine(line, dir, n);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw invalidBackup(dir, `the content list ${manifest.content.list} is missing`);
    throw e;
  } finally {
    lines.close();
    input.destroy();
  }
}

export interface BackupCheck {
  readonly files: number;
  readonly bytes: number;
}

/** Checks everything the manifest names; throws PB_ERR_BACKUP_INVALID naming the first thing that is wrong. */
export async function verifyBackup(
  backup: OpenedBackup,
  options: { content: boolean },
): Promise<BackupCheck> {
  const { dir, manifest } = backup;
  const db = join(dir, manifest.database.file);
  const dbSize = (await stat(db).catch(() => undefined))?.size;
  if (dbSize === undefined)
    throw invalidBackup(dir, `the database copy ${manifest.database.file} is missing`);
  if (dbSize !== manifest.database.size || (await sha256Hex(db)) !== manifest.database.sha256)
    throw invalidBackup(
      dir,
      `the database copy ${manifest.database.file} does not match its SHA-256 (changed or truncated)`,
    );
  if (
    manifest.config !== null &&
    (await sha256Hex(join(dir, manifest.config.file)).catch(() => '')) !== manifest.config.sha256
  )
    throw invalidBackup(dir, `${manifest.config.file} does not match its SHA-256`);
  if ((await sha256Hex(join(dir, manifest.content.list)).catch(() => '')) !== manifest.content.listSha256)
    throw invalidBackup(dir, `the content list ${manifest.content.list} does not match its SHA-256`);

  let files = 0;
  let bytes = 0;
  for await (const e of backup.entries()) {
    files++;
    bytes += e.size;
    if (!options.content || !manifest.content.copied) continue;
    const path = join(dir, contentPath(e.sha1));
    const size = (await stat(path).catch(() => undefined))?.size;
    if (size === undefined) throw invalidBackup(dir, `${contentPath(e.sha1)} is missing`);
    if (size !== e.size)
      throw invalidBackup(dir, `${contentPath(e.sha1)} is ${size} bytes, the list says ${e.size}`);
    const d = await fileDigests(path);
    if (d.sha1 !== e.sha1 || d.sha256 !== e.sha256)
      throw invalidBackup(dir, `${contentPath(e.sha1)} does not match its digests (changed on disk)`);
  }
  if (files !== manifest.content.files || bytes !== manifest.content.bytes)
    throw invalidBackup(
      dir,
      `the content list has ${files} files (${bytes} bytes), the manifest ${manifest.content.files}`,
    );
  return { files, bytes };
}

async function sha256Hex(path: string): Promise<string> {
  return (await fileDigests(path)).sha256;
}
