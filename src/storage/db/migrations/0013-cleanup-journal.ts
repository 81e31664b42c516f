import type { Kysely } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * The cleanup's file journal (issue 13 item 3, docs/administration.md "Server cleanup"): a content object is
 * deleted in two steps, the database first (its `files` row made `absent` or deleted, and a journal row
 * inserted in the same transaction), the object in the store second, then the journal row goes. A process
 * killed in between leaves a journal row, never a row that says "verified" for a missing object; the next
 * cleanup deletes what the journal names (unless the file was downloaded again meanwhile) and clears it.
 *
 * Frozen once released.
 */
export async function up0013CleanupJournal(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('cleanup_file_journal')
    .addColumn('sha1', t.blob, (c) => c.primaryKey())
    .addColumn('size', t.int64, (c) => c.notNull())
    .addColumn('queued_at', t.int64, (c) => c.notNull())
    .execute();
}
