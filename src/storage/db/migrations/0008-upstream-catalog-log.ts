import type { Kysely } from 'kysely';
import { autoIdColumn, columnTypes, type DialectName } from '../dialect.js';

/**
 * The change log behind the anchors Patchbay hands downstream servers (docs/upstream.md): one row each time
 * the served (active) catalog generation changed, in a sequence that only grows. A generation id alone is
 * not monotonic (`catalog rollback` re-activates an older one), so an anchor names a row of this log and the
 * generation it served; the revisions a downstream lacks are the active members not in that generation.
 */
export async function up0008UpstreamCatalogLog(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  const [idType, idCol] = autoIdColumn(dialect, 'int32');
  await db.schema
    .createTable('upstream_catalog_log')
    .addColumn('seq', idType, idCol)
    .addColumn('generation_id', 'integer', (c) => c.notNull())
    .addColumn('logged_at', t.int64, (c) => c.notNull())
    .execute();
}
