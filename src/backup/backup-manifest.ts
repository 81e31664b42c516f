/**
 * The manifest of a backup folder (docs/operations.md "Backup and restore"):
 *
 *   backup.json                 this manifest, written last (atomically): a folder without it holds no backup
 *   database-<id>.sqlite        SQLite copy (VACUUM INTO), or database-<id>.pgdump (pg_dump --format=custom)
 *   content-<id>.jsonl          one line per stored file: {"sha1","sha256","size"} (hex digests)
 *   content/<aa>/<sha1>         the files themselves, copied incrementally (absent with --no-content)
 *   patchbay.ini                the configuration file in use, when there was one
 *
 * Every file the manifest names carries its SHA-256, so a restore checks the whole backup before it changes
 * anything. The previous backup's files stay until the new manifest is in place: an interrupted backup leaves
 * the last complete one usable.
 */
import { z } from 'zod';
import { AppError } from '../errors.js';

export const manifestName = 'backup.json';
export const backupFormat = 'patchbay-backup';
export const backupFormatVersion = 1;
/** A manifest is small; anything larger is not one of ours. */
export const maxManifestBytes = 1024 * 1024;

const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`));
const fileName = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/);

const manifestSchema = z.object({
  format: z.literal(backupFormat),
  formatVersion: z.literal(backupFormatVersion),
  backupId: z.string().regex(/^\d{8}T\d{6}\d{3}Z$/),
  createdAt: z.string(),
  patchbayVersion: z.string().max(64),
  database: z.object({
    driver: z.enum(['sqlite', 'postgres']),
    file: fileName,
    size: z.number().int().nonnegative(),
    sha256: hex(64),
    migrations: z.array(z.string().max(128)).max(10_000),
  }),
  content: z.object({
    /** False with --no-content: the list is there, the files are copied by other means. */
    copied: z.boolean(),
    list: fileName,
    listSha256: hex(64),
    files: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
  }),
  config: z.object({ file: fileName, sha256: hex(64) }).nullable(),
  /** Files the configuration names that a backup does not copy (secrets, certificates): recreate them. */
  notCopied: z.array(z.object({ key: z.string().max(128), path: z.string().max(4096) })).max(64),
});

export type BackupManifest = z.infer<typeof manifestSchema>;

export interface ContentEntry {
  readonly sha1: string;
  readonly sha256: string;
  readonly size: number;
}

const entrySchema = z.object({ sha1: hex(40), sha256: hex(64), size: z.number().int().nonnegative() });

export function parseManifest(text: string, where: string): BackupManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw invalidBackup(where, `${manifestName} is not JSON (${(e as Error).message})`);
  }
  const r = manifestSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw invalidBackup(where, `${manifestName}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return r.data;
}

export function parseContentLine(line: string, where: string, lineNo: number): ContentEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw invalidBackup(where, `content list line ${lineNo} is not JSON`);
  }
  const r = entrySchema.safeParse(raw);
  if (!r.success) throw invalidBackup(where, `content list line ${lineNo}: ${r.error.issues[0]!.message}`);
  return r.data;
}

export function contentPath(sha1: string): string {
  return `content/${sha1.slice(0, 2)}/${sha1}`;
}

export function invalidBackup(where: string, why: string): AppError {
  return new AppError('PB_ERR_BACKUP_INVALID', `${where} is not a usable backup: ${why}`);
}

/** 20261207T140312123Z: sortable, a valid file name part, unique per millisecond. */
export function backupIdAt(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace('.', '');
}
