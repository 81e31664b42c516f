import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Driver metadata (issue 18 item 2, docs/protocol/upstream.md §U5.2): one row per
 * `WindowsDriverMetaData` of a `UpdateType="Driver"` revision, so the client driver pass finds the drivers for
 * a device's hardware and compatible ids through the `hardware_id` index and never scans the catalog. The
 * parser bounds the rows per document (a document over the limit is quarantined, never stored).
 *
 * - `hardware_id`: lower case (PnP ids compare case-insensitively);
 * - `ver_date`: `YYYY-MM-DD` and `ver_version`: the 64-bit packed version as 16 hex digits, both so that
 *   text order is the ranking order on either database.
 * FeatureScore and the computer hardware id targeting children are not stored yet (docs/protocol/upstream.md
 * §U5.3: the pass ranks as if every driver were untargeted without a feature score).
 *
 * Frozen once released.
 */
export async function up0022DriverMetadata(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('revision_drivers')
    .addColumn('revision_id', 'integer', (c) =>
      c.notNull().references('revisions.revision_id').onDelete('cascade'),
    )
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('hardware_id', 'text', (c) => c.notNull())
    .addColumn('ver_date', 'text', (c) => c.notNull())
    .addColumn('ver_version', 'text', (c) => c.notNull())
    .addColumn('class', 'text')
    .addColumn('manufacturer', 'text')
    .addColumn('provider', 'text')
    .addColumn('model', 'text')
    .addPrimaryKeyConstraint('revision_drivers_pk', ['revision_id', 'position'])
    .execute();
  await db.schema
    .createIndex('revision_drivers_hardware_id')
    .on('revision_drivers')
    .columns(['hardware_id', 'ver_date', 'ver_version'])
    .execute();
}
