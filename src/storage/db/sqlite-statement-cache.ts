import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * The better-sqlite3 handle as Kysely's SqliteDialect sees it, with prepared statements kept in an LRU keyed
 * by SQL text. Kysely calls `prepare` for every query it runs; compiling the same INSERT again for every
 * import batch cost ~0.6 s per 10,000 revisions in the sync profile (bench/sync-import.bench.ts).
 *
 * A cached statement is safe to reuse because Kysely only uses `reader`, `all`, `run` and `iterate`, never the
 * stateful modes (`raw`, `pluck`, `expand`); a statement still iterating (a streamed select) is `busy`, and a
 * second user of the same text then gets a fresh, uncached statement. SQLite re-prepares a statement itself
 * after a schema change (sqlite3_prepare_v3), so migrations need no invalidation.
 */
export function withStatementCache(database: SQLite.Database, maxEntries = 256): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      cache.clear();
      database.close();
    },
    prepare: (text: string): SqliteStatement => {
      const hit = cache.get(text);
      if (hit !== undefined) {
        if (hit.busy) return database.prepare(text);
        // Map iteration order is insertion order: re-inserting makes this the most recently used.
        cache.delete(text);
        cache.set(text, hit);
        return hit;
      }
      const stmt = database.prepare(text);
      cache.set(text, stmt);
      if (cache.size > maxEntries) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
      return stmt;
    },
  };
}
