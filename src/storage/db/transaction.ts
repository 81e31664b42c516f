import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.js';

/** What a repository runs queries on: the database, or a transaction someone else opened. */
export type Executor = Kysely<Database> | Transaction<Database>;

/** Runs `fn` in a transaction, joining the caller's transaction when `executor` already is one. */
export async function inTransaction<T>(executor: Executor, fn: (trx: Executor) => Promise<T>): Promise<T> {
  if (executor.isTransaction) return fn(executor);
  return executor.transaction().execute(fn);
}

/** Splits rows into chunks that stay below both dialects' bind-parameter limits (SQLite 32766, pg 65535). */
export function chunkRows<T>(rows: readonly T[], columnsPerRow: number, maxParams = 16_000): T[][] {
  const size = Math.max(1, Math.floor(maxParams / Math.max(1, columnsPerRow)));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export const boolToInt = (b: boolean | undefined): number => (b === true ? 1 : 0);
