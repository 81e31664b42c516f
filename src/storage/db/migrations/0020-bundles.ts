import type { Kysely } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * Disconnected networks (issue 16 item 5, docs/operations.md "Air-gapped networks"): the bundles this server
 * exported (what the next incremental export starts from) and imported (the replay check: a bundle's
 * sequence must be newer than the last one imported from its source server; an unfinished import's verified
 * chunks, so a resumed import skips them).
 *
 * Frozen once released.
 */
export async function up0020Bundles(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('bundles')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('export_id', 'text', (c) => c.notNull())
    .addColumn('source_server_id', 'text', (c) => c.notNull())
    .addColumn('sequence', t.int64, (c) => c.notNull())
    .addColumn('since_export_id', 'text')
    .addColumn('generation_id', t.int64)
    .addColumn('deployment_anchor', 'text')
    // Export: the SHA-1s (hex) this export and the ones it continues carried, as a JSON array.
    .addColumn('carried_content', 'text', (c) => c.notNull().defaultTo('[]'))
    // Import: chunks verified so far ({"index","size","mtimeMs"}), as a JSON array.
    .addColumn('verified_chunks', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('manifest_sha256', 'text')
    .addColumn('started_at', t.int64, (c) => c.notNull())
    .addColumn('finished_at', t.int64)
    .addPrimaryKeyConstraint('bundles_pk', ['role', 'export_id'])
    .execute();
  await db.schema
    .createIndex('bundles_source_sequence')
    .on('bundles')
    .columns(['role', 'source_server_id', 'sequence'])
    .execute();
}
