import { CompiledQuery } from 'kysely';
import type { Database } from './database.js';
import type { DialectName } from './dialect.js';
import type { Executor } from './transaction.js';

/** A multi-row INSERT shape: the table, its columns in value order, and an optional conflict clause. */
export interface BulkInsertSpec<T extends keyof Database> {
  readonly table: T;
  readonly columns: readonly (keyof Database[T] & string)[];
  /** SQL after the VALUES list, identical on both dialects (`on conflict (...) do ...`); trusted text only. */
  readonly onConflict?: string;
  /** Appended last (`returning ...`); rows come back only when given. */
  readonly returning?: string;
}

/** Bind-parameter budget per statement: below SQLite's 32,766 and PostgreSQL's 65,535. */
const maxParams = 16_000;

const textCache = new Map<string, string>();
const maxCachedTexts = 1024;

/**
 * INSERT text for `rows` rows. Statement texts are cached, and row counts are powers of two (see bulkInsert),
 * so the same few texts recur batch after batch and the prepared-statement cache of the SQLite handle hits.
 */
interface InsertShape {
  readonly table: string;
  readonly columns: readonly string[];
  readonly onConflict?: string;
  readonly returning?: string;
}

function insertText(dialect: DialectName, spec: InsertShape, rows: number): string {
  const key = `${dialect}\u0000${spec.table}\u0000${spec.columns.join(',')}\u0000${spec.onConflict ?? ''}\u0000${spec.returning ?? ''}\u0000${rows}`;
  const hit = textCache.get(key);
  if (hit !== undefined) return hit;
  const width = spec.columns.length;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const ps: string[] = [];
    for (let c = 1; c <= width; c++) ps.push(dialect === 'postgres' ? `$${r * width + c}` : '?');
    tuples.push(`(${ps.join(', ')})`);
  }
  let text = `insert into "${spec.table}" (${spec.columns.map((c) => `"${c}"`).join(', ')}) values ${tuples.join(', ')}`;
  if (spec.onConflict !== undefined) text += ` ${spec.onConflict}`;
  if (spec.returning !== undefined) text += ` returning ${spec.returning}`;
  if (textCache.size >= maxCachedTexts) textCache.clear();
  textCache.set(key, text);
  return text;
}

/**
 * Inserts rows (each an array of values in `spec.columns` order) with multi-row INSERTs, bypassing the query
 * builder: the import writes ~14 rows per revision, and building, compiling and preparing a fresh statement for
 * each chunk dominated the storage side of the import profile. Rows are split into power-of-two chunks (100 =
 * 64 + 32 + 4) so every statement text repeats. One code path for both dialects; only the placeholder syntax
 * differs. Returns the `returning` rows, if any.
 */
export async function bulkInsert<T extends keyof Database>(
  executor: Executor,
  dialect: DialectName,
  spec: BulkInsertSpec<T>,
  rows: readonly (readonly unknown[])[],
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  if (rows.length === 0) return out;
  const width = spec.columns.length;
  let top = 1;
  while (top * 2 * width <= maxParams) top *= 2;
  for (let i = 0; i < rows.length;) {
    let n = top;
    while (n > rows.length - i) n >>= 1;
    const params: unknown[] = [];
    for (let r = i; r < i + n; r++) {
      const row = rows[r]!;
      if (row.length !== width)
        throw new Error(`bulkInsert ${spec.table}: row of ${row.length} values, want ${width}`);
      for (let c = 0; c < width; c++) params.push(row[c]);
    }
    const result = await executor.executeQuery<Record<string, unknown>>(
      CompiledQuery.raw(insertText(dialect, spec, n), params),
    );
    if (spec.returning !== undefined) for (const row of result.rows) out.push(row);
    i += n;
  }
  return out;
}

const detected = new WeakMap<object, DialectName>();

/**
 * The dialect behind an executor, for repositories built without one (kept for API compatibility): the
 * compiled placeholder syntax tells PostgreSQL (`$1`) from SQLite (`?`).
 */
export function dialectOf(executor: Executor): DialectName {
  const hit = detected.get(executor);
  if (hit !== undefined) return hit;
  const probe = executor.selectFrom('settings').select('key').where('key', '=', 'x').compile().sql;
  const dialect: DialectName = probe.includes('$1') ? 'postgres' : 'sqlite';
  detected.set(executor, dialect);
  return dialect;
}
