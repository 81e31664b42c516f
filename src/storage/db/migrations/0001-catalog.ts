import { sql, type Kysely } from 'kysely';
import { autoIdColumn, columnTypes, type DialectName } from '../dialect.js';

/** Catalog: revision ids, revisions with documents/fragments/relationships, files, generations, quarantine. */
export async function up0001Catalog(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  const [idType, idCol] = autoIdColumn(dialect, 'int32');

  // int32 on SQLite too (PostgreSQL `integer` is int32 already): the id travels to clients as an int.
  await db.schema
    .createTable('revision_ids')
    .addColumn('revision_id', idType, (c) =>
      dialect === 'sqlite' ? idCol(c).check(sql`revision_id between 1 and 2147483647`) : idCol(c),
    )
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('allocated_at', t.int64, (c) => c.notNull())
    .addUniqueConstraint('revision_ids_identity', ['update_id', 'revision_number'])
    .execute();

  await db.schema
    .createTable('revisions')
    .addColumn('revision_id', 'integer', (c) => c.primaryKey().references('revision_ids.revision_id'))
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('update_type', 'text', (c) => c.notNull())
    .addColumn('is_category', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_bundle', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_explicitly_deployable', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('publication_state', 'text')
    .addColumn('handler', 'text')
    .addColumn('title', 'text')
    .addColumn('kb_article_id', 'text')
    .addColumn('msrc_severity', 'text')
    .addColumn('creation_date_at', t.int64)
    .addColumn('max_download_size', t.int64)
    .addColumn('imported_at', t.int64, (c) => c.notNull())
    .addColumn('updated_at', t.int64, (c) => c.notNull())
    .addUniqueConstraint('revisions_identity', ['update_id', 'revision_number'])
    .execute();

  const blobTable = (name: string) =>
    db.schema
      .createTable(name)
      .addColumn('revision_id', 'integer', (c) =>
        c.notNull().references('revisions.revision_id').onDelete('cascade'),
      )
      .addColumn('codec', 'text', (c) => c.notNull())
      .addColumn('raw_size', t.int64, (c) => c.notNull())
      .addColumn('data', t.blob, (c) => c.notNull());
  await blobTable('revision_documents')
    .addPrimaryKeyConstraint('revision_documents_pk', ['revision_id'])
    .execute();
  await blobTable('revision_fragments')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('revision_fragments_pk', ['revision_id', 'kind'])
    .execute();
  await blobTable('revision_localized')
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('title', 'text')
    .addColumn('description', 'text')
    .addPrimaryKeyConstraint('revision_localized_pk', ['revision_id', 'language'])
    .execute();

  const childOf = (name: string) =>
    db.schema
      .createTable(name)
      .addColumn('revision_id', 'integer', (c) =>
        c.notNull().references('revisions.revision_id').onDelete('cascade'),
      );
  await childOf('revision_prerequisites')
    .addColumn('clause_index', 'integer', (c) => c.notNull())
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('is_category', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('revision_prerequisites_pk', ['revision_id', 'clause_index', 'update_id'])
    .execute();
  await childOf('revision_bundles')
    .addColumn('group_index', 'integer', (c) => c.notNull())
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('revision_bundles_pk', [
      'revision_id',
      'group_index',
      'update_id',
      'revision_number',
    ])
    .execute();
  await childOf('revision_supersedes')
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('revision_supersedes_pk', ['revision_id', 'update_id'])
    .execute();
  await childOf('revision_categories')
    .addColumn('category_update_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('revision_categories_pk', ['revision_id', 'category_update_id'])
    .execute();

  await db.schema
    .createTable('files')
    .addColumn('sha1', t.blob, (c) => c.primaryKey())
    .addColumn('sha256', t.blob)
    .addColumn('size', t.int64, (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('mu_url', 'text')
    .addColumn('content_state', 'text', (c) => c.notNull().defaultTo('absent'))
    .addColumn('state_changed_at', t.int64, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', t.int64, (c) => c.notNull())
    .execute();
  await childOf('revision_files')
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('sha1', t.blob, (c) => c.notNull().references('files.sha1'))
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('patching_type', 'text')
    .addPrimaryKeyConstraint('revision_files_pk', ['revision_id', 'position'])
    .execute();

  await db.schema
    .createTable('categories')
    .addColumn('update_id', 'text', (c) => c.primaryKey())
    .addColumn('revision_id', 'integer', (c) => c.notNull().references('revision_ids.revision_id'))
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('category_type', 'text')
    .addColumn('title', 'text')
    .addColumn('display_order', 'integer')
    .addColumn('prohibits_subcategories', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('prohibits_updates', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('excluded_by_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', t.int64, (c) => c.notNull())
    .execute();

  const [genIdType, genIdCol] = autoIdColumn(dialect, 'int32');
  await db.schema
    .createTable('catalog_generations')
    .addColumn('generation_id', genIdType, genIdCol)
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('previous_generation_id', 'integer')
    .addColumn('sync_run_id', 'integer')
    .addColumn('member_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('note', 'text')
    .addColumn('created_at', t.int64, (c) => c.notNull())
    .addColumn('activated_at', t.int64)
    .addColumn('retired_at', t.int64)
    .execute();
  // The database itself guarantees "exactly one active generation at most" (partial unique index).
  await sql`create unique index catalog_generations_one_active on catalog_generations (state) where state = 'active'`.execute(
    db,
  );

  await db.schema
    .createTable('generation_members')
    .addColumn('generation_id', 'integer', (c) =>
      c.notNull().references('catalog_generations.generation_id').onDelete('cascade'),
    )
    .addColumn('revision_id', 'integer', (c) => c.notNull().references('revisions.revision_id'))
    .addColumn('is_leaf', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('is_bundle_member', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('generation_members_pk', ['generation_id', 'revision_id'])
    .execute();

  await db.schema
    .createTable('quarantine')
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('revision_id', 'integer')
    .addColumn('reason_code', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('caused_by_update_id', 'text')
    .addColumn('sync_run_id', 'integer')
    .addColumn('first_seen_at', t.int64, (c) => c.notNull())
    .addColumn('last_seen_at', t.int64, (c) => c.notNull())
    .addColumn('retry_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_retry_at', t.int64)
    .addPrimaryKeyConstraint('quarantine_pk', ['update_id', 'revision_number'])
    .execute();

  const indexes: [string, string, string[]][] = [
    ['revisions_update_id', 'revisions', ['update_id']],
    ['revision_prerequisites_target', 'revision_prerequisites', ['update_id']],
    ['revision_bundles_child', 'revision_bundles', ['update_id', 'revision_number']],
    ['revision_supersedes_target', 'revision_supersedes', ['update_id']],
    ['revision_categories_category', 'revision_categories', ['category_update_id']],
    ['revision_files_sha1', 'revision_files', ['sha1']],
    ['files_content_state', 'files', ['content_state']],
    ['generation_members_revision', 'generation_members', ['revision_id']],
    ['quarantine_next_retry', 'quarantine', ['next_retry_at']],
  ];
  for (const [name, table, columns] of indexes)
    await db.schema.createIndex(name).on(table).columns(columns).execute();
}
