import { sql } from 'kysely';
import type { DialectName } from '../dialect.js';
import type { Executor } from '../transaction.js';

export interface DatabaseSize {
  /** What the database takes on disk: the SQLite file's pages (WAL excluded), or `pg_database_size`. */
  readonly bytes: number;
  /** SQLite only: pages on the free list (a VACUUM would give them back to the file system); null on PostgreSQL. */
  readonly freeBytes: number | null;
}

/** The size of the database itself, for `patchbay status` (and the before/after of a cleanup). */
export class DatabaseSizeRepository {
  constructor(
    private readonly db: Executor,
    private readonly dialect: DialectName,
  ) {}

  async size(): Promise<DatabaseSize> {
    if (this.dialect === 'postgres') {
      const r = await sql<{ n: string | number }>`select pg_database_size(current_database()) as n`.execute(
        this.db,
      );
      return { bytes: Number(r.rows[0]?.n ?? 0), freeBytes: null };
    }
    const r = await sql<{ pages: number; size: number; free: number }>`
      select p.page_count as pages, s.page_size as size, f.freelist_count as free
      from pragma_page_count() p, pragma_page_size() s, pragma_freelist_count() f`.execute(this.db);
    const row = r.rows[0];
    if (row === undefined) return { bytes: 0, freeBytes: 0 };
    return { bytes: row.pages * row.size, freeBytes: row.free * row.size };
  }
}
