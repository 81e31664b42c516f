import type { ColumnDefinitionBuilder } from 'kysely';

type DataTypeExpression = 'integer' | 'bigint' | 'blob' | 'bytea';

/** The two databases Patchbay runs on. SQLite is the default (a file in the data directory). */
export type DialectName = 'sqlite' | 'postgres';

/**
 * Column types that differ between the dialects. Everything else is shared on purpose:
 * - timestamps are epoch milliseconds in an integer column (SQLite `integer`, PostgreSQL `bigint`),
 *   read back as a JS number on both (the pg pool parses int8 as a number);
 * - booleans are integers 0/1 on both (one TypeScript type, plain values for the later SQL views);
 * - GUIDs are lower-case text; JSON is text (parsed by the repositories);
 * - binary data is `blob` / `bytea`, read back as a Buffer on both.
 */
export interface ColumnTypes {
  readonly blob: DataTypeExpression;
  /** 64-bit integer: timestamps, sizes, counters. */
  readonly int64: DataTypeExpression;
}

export function columnTypes(dialect: DialectName): ColumnTypes {
  return dialect === 'sqlite' ? { blob: 'blob', int64: 'integer' } : { blob: 'bytea', int64: 'bigint' };
}

/**
 * A never-recycled auto-increment primary key: SQLite `integer primary key autoincrement` (the
 * sqlite_sequence high-water mark survives deletes), PostgreSQL an identity column (a sequence, which
 * never hands a number out twice, even after a rollback).
 */
export function autoIdColumn(
  dialect: DialectName,
  width: 'int32' | 'int64',
): [DataTypeExpression, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  if (dialect === 'sqlite') return ['integer', (c) => c.primaryKey().autoIncrement()];
  return [width === 'int32' ? 'integer' : 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity()];
}

/** The byte length of a blob column: SQLite `length()` counts bytes of a blob; PostgreSQL needs `octet_length`. */
export function blobLengthFunction(dialect: DialectName): 'length' | 'octet_length' {
  return dialect === 'sqlite' ? 'length' : 'octet_length';
}

/** Tables a cleanup changes most and every scan reads: PostgreSQL `VACUUM ANALYZE`s these after a cleanup. */
export const hotTables = [
  'revisions',
  'revision_files',
  'files',
  'generation_members',
  'catalog_generations',
  'approvals',
  'declines',
  'computers',
  'group_memberships',
  'update_status',
  'client_events',
  'cleanup_file_journal',
] as const;

/**
 * The database maintenance a cleanup ends with, per dialect (docs/administration.md "Server cleanup"):
 * - SQLite: `ANALYZE` (fresh planner statistics after many deletes); then, when the file has an incremental
 *   auto-vacuum, `PRAGMA incremental_vacuum` gives the free pages back to the file system; a file created
 *   without it (the default) is converted once, with one full `VACUUM`, when at least a quarter of it (and
 *   16 MiB) is free pages: worthwhile then, and never again after.
 * - PostgreSQL: `VACUUM (ANALYZE)` of the hot tables (space reusable, statistics fresh; never `VACUUM FULL`,
 *   which locks the tables clients read).
 * Each statement runs outside a transaction (VACUUM refuses to run inside one).
 */
export function maintenanceStatements(
  dialect: DialectName,
  sqlite: { autoVacuum: number; pageBytes: number; freeBytes: number } | undefined,
): string[] {
  if (dialect === 'postgres') return hotTables.map((t) => `vacuum (analyze) ${t}`);
  const out = ['analyze'];
  if (sqlite === undefined) return out;
  if (sqlite.autoVacuum === 2) {
    if (sqlite.freeBytes > 0) out.push('pragma incremental_vacuum');
  } else if (sqlite.freeBytes >= 16 * 1024 * 1024 && sqlite.freeBytes * 4 >= sqlite.pageBytes)
    out.push('pragma auto_vacuum = incremental', 'vacuum');
  return out;
}
