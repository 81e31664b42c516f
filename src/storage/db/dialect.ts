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
