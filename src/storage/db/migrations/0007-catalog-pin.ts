import type { Kysely } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * The catalog pin (`catalog rollback` holds the chosen generation until `catalog unpin`): one row at most,
 * shared by every node on the database, so no node's scheduled sync re-activates what the admin rolled back.
 * Also a free-text `note` per sync run, for what a run did not do and why ("not activated: catalog pinned to
 * generation N"), which is neither an error nor a counter.
 */
export async function up0007CatalogPin(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('catalog_pin')
    // Always 'catalog': the primary key makes "at most one pin" a constraint, not a convention.
    .addColumn('scope', 'text', (c) => c.primaryKey())
    .addColumn('generation_id', 'integer', (c) => c.notNull())
    .addColumn('pinned_at', t.int64, (c) => c.notNull())
    .addColumn('pinned_by', 'text')
    .execute();
  await db.schema.alterTable('sync_runs').addColumn('note', 'text').execute();
}
